/* 8250 UART on COM1 (I/O 0x3f8, IRQ 4). Every port access is a VM exit, so the driver does
 * the minimum: no baud programming, one LSR poll per byte written. */
#include "guest.h"

#define COM1 0x3f8
#define UART_RBR 0 /* read: receive buffer */
#define UART_THR 0 /* write: transmit holding */
#define UART_IER 1
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IER_RX_AVAILABLE 0x01
#define LCR_8N1 0x03
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the IRQ line on PC hardware */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void serial_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        cpu_relax();
    outb(COM1 + UART_THR, (u8)c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}

bool serial_rx_ready(void)
{
    return inb(COM1 + UART_LSR) & LSR_DATA_READY;
}

u8 serial_getc_nowait(void)
{
    return inb(COM1 + UART_RBR);
}

void serial_enable_rx_irq(void)
{
    outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

static void serial_input_irq(struct irq_frame *f)
{
    (void)f; /* serial_wait_byte polls the receiver */
}

/* Ember feeds serial input only to a UART that takes interrupt-driven input (docs/architecture.md). */
void serial_input_start(void)
{
    ioapic_route(SERIAL_IRQ, serial_input_irq);
    serial_enable_rx_irq();
}

void serial_wait_byte(void)
{
    (void)serial_wait_getc();
}

u8 serial_wait_getc(void)
{
    while (!serial_rx_ready())
        irq_enable_and_halt();
    return serial_getc_nowait();
}
