/* A small printf: %s %c %d %i %u %x %X %p %%, length l/ll/z, width and the 0 flag. */
#include "guest.h"

typedef __builtin_va_list va_list;
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) __builtin_va_end(ap)

struct sink {
    char *buf;   /* NULL: straight to the serial port */
    size_t size;
    size_t len;  /* characters produced (may exceed size) */
};

static void put(struct sink *s, char c)
{
    if (!s->buf)
        serial_putc(c);
    else if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void put_number(struct sink *s, u64 v, unsigned base, bool upper, bool negative,
                       unsigned width, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    unsigned len = n + (negative ? 1 : 0);
    if (negative && pad == '0')
        put(s, '-');
    for (; len < width; len++)
        put(s, pad);
    if (negative && pad != '0')
        put(s, '-');
    while (n)
        put(s, tmp[--n]);
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        unsigned width = 0;
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        int longs = 0;
        while (*fmt == 'l' || *fmt == 'z') {
            longs++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            s64 v = longs ? va_arg(ap, s64) : va_arg(ap, int);
            put_number(s, v < 0 ? (u64)-v : (u64)v, 10, false, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(s, longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 10, false, false, width, pad);
            break;
        case 'x':
        case 'X':
            put_number(s, longs ? va_arg(ap, u64) : va_arg(ap, unsigned), 16, *fmt == 'X', false,
                       width, pad);
            break;
        case 'p':
            put(s, '0');
            put(s, 'x');
            put_number(s, (u64)va_arg(ap, void *), 16, false, false, width, pad);
            break;
        case 'c':
            put(s, (char)va_arg(ap, int));
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            size_t len = strlen(str);
            for (; len < width; len++)
                put(s, ' ');
            while (*str)
                put(s, *str++);
            break;
        }
        case '%':
            put(s, '%');
            break;
        case '\0':
            return;
        default:
            put(s, '%');
            put(s, *fmt);
        }
    }
}

void printf(const char *fmt, ...)
{
    struct sink s = {NULL, 0, 0};
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
}

void vprintf(const char *fmt, va_list ap)
{
    struct sink s = {NULL, 0, 0};
    format(&s, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = {buf, size, 0};
    va_list ap;
    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len < size ? s.len : size - 1] = '\0';
    return (int)s.len;
}
