package dev.ember.devices.mmds;

/**
 * RSTs owed to the guest, in fixed arrays: a guest that sends segments nobody expects (a storm
 * of them) gets at most {@code capacity} answers queued; the rest are dropped and counted.
 */
final class ResetQueue {
    private final long[] mac;
    private final int[] ip;
    private final int[] port;
    private final int[] seq;
    private final int[] ack;
    private final int[] flags;
    private int head;
    private int size;

    ResetQueue(int capacity) {
        mac = new long[capacity];
        ip = new int[capacity];
        port = new int[capacity];
        seq = new int[capacity];
        ack = new int[capacity];
        flags = new int[capacity];
    }

    boolean offer(long remoteMac, int remoteIp, int remotePort, int s, int a, int f) {
        if (size == mac.length) {
            return false;
        }
        int i = (head + size) % mac.length;
        mac[i] = remoteMac;
        ip[i] = remoteIp;
        port[i] = remotePort;
        seq[i] = s;
        ack[i] = a;
        flags[i] = f;
        size++;
        return true;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int size() {
        return size;
    }

    long mac() { return mac[head]; }
    int ip() { return ip[head]; }
    int port() { return port[head]; }
    int seq() { return seq[head]; }
    int ack() { return ack[head]; }
    int flags() { return flags[head]; }

    void pop() {
        head = (head + 1) % mac.length;
        size--;
    }

    void clear() {
        head = 0;
        size = 0;
    }
}
