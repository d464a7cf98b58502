/* Boot flow and test results: pick the scenario named by ember.test= and report its end. */
#include "guest.h"

#define EXIT_PORT 0xf4
#define DEFAULT_SCENARIO "hello"

const char *test_name = DEFAULT_SCENARIO;
static char name_buf[64];

void kmain(u64 zero_page);
void kmain(u64 zero_page)
{
    serial_init();
    bootparams_read(zero_page);
    if (cmdline_get("ember.test", name_buf, sizeof(name_buf)) && name_buf[0])
        test_name = name_buf;
    interrupts_init();
    mem_init();
    const struct scenario *s = scenario_find(test_name);
    if (!s)
        test_fail(EXIT_UNKNOWN_SCENARIO, "unknown scenario");
    s->run();
    test_pass();
}

void test_exit(int code)
{
    irq_disable();
    outb(EXIT_PORT, (u8)code);
    halt_forever();
}

void test_pass(void)
{
    printf("EMBER-TEST: PASS %s\n", test_name);
    test_exit(EXIT_PASS);
}

void test_fail(int code, const char *fmt, ...)
{
    __builtin_va_list ap;
    printf("EMBER-TEST: FAIL %s: ", test_name);
    __builtin_va_start(ap, fmt);
    vprintf(fmt, ap);
    __builtin_va_end(ap);
    printf("\n");
    test_exit(code ? code : EXIT_FAIL);
}
