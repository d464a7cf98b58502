/* String helpers. The copy/fill loops are single REP instructions: under PVM every guest
 * instruction is emulated, so one string instruction beats a compiled loop. */
#include "guest.h"

void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i])
            return (u8)a[i] < (u8)b[i] ? -1 : 1;
        if (!a[i])
            return 0;
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    return strncmp(a, b, (size_t)-1);
}

u64 parse_u64(const char *s, const char **end)
{
    u64 v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        for (;; s++) {
            char c = *s;
            if (c >= '0' && c <= '9')
                v = v * 16 + (u64)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v = v * 16 + (u64)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v = v * 16 + (u64)(c - 'A' + 10);
            else
                break;
        }
    } else {
        while (*s >= '0' && *s <= '9')
            v = v * 10 + (u64)(*s++ - '0');
    }
    if (end)
        *end = s;
    return v;
}
