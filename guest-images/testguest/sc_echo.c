/* echo: copies serial input back to the output until a line "quit" arrives. The guest sleeps
 * in HLT between bytes and is woken by the UART's receive interrupt (IRQ 4 via the IOAPIC). */
#include "guest.h"

static void serial_irq(struct irq_frame *f)
{
    (void)f; /* the loop below drains the receiver */
}

void scenario_echo(void)
{
    char line[64];
    unsigned len = 0;
    lapic_enable();
    ioapic_route(SERIAL_IRQ, serial_irq);
    serial_enable_rx_irq();
    printf("EMBER-TEST: READY echo\n");
    for (;;) {
        while (!serial_rx_ready())
            irq_enable_and_halt();
        char c = (char)serial_getc_nowait();
        serial_putc(c);
        if (c == '\n' || c == '\r') {
            if (len == 4 && !memcmp(line, "quit", 4)) {
                if (c == '\r')
                    serial_putc('\n'); /* the result line must start on a line of its own */
                return;
            }
            len = 0;
        } else if (len < sizeof(line)) {
            line[len++] = c;
        } else {
            len = sizeof(line) + 1; /* too long to be "quit" */
        }
    }
}
