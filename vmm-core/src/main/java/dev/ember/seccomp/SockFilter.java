package dev.ember.seccomp;

/**
 * Layouts of {@code struct sock_filter} (one classic BPF instruction) and {@code struct
 * sock_fprog} (the program handed to seccomp(2)) from {@code <linux/filter.h>}; checked against
 * the headers by SockFilterLayoutTest.
 */
public final class SockFilter {
    /** struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; } */
    public static final int SIZE = 8, CODE = 0, JT = 2, JF = 3, K = 4;

    /** struct sock_fprog { unsigned short len; struct sock_filter *filter; } */
    public static final int FPROG_SIZE = 16, FPROG_LEN = 0, FPROG_FILTER = 8;

    private SockFilter() {}
}
