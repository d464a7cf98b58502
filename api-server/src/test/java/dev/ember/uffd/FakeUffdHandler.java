package dev.ember.uffd;

import dev.ember.sys.FdPassing;
import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import dev.ember.sys.SockaddrUn;

/**
 * A page-fault handler that fails on purpose, run as its own process (the VMM watches the
 * handler's pid): it listens on SOCKET, takes the VMM's connection, the layout and the
 * userfaultfd, says "took", and then serves nothing: {@code exit} exits 1 at once (as a handler
 * refusing the VMM's memory does), {@code hang} waits until it is killed.
 */
public final class FakeUffdHandler {
    private FakeUffdHandler() {}

    public static void main(String[] args) throws InterruptedException {
        SockaddrUn addr = new SockaddrUn(args[0]);
        int listener = Native.check(Native.LIBC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket");
        if (Native.LIBC.bind(listener, addr.address(), addr.length()) < 0 || Native.LIBC.listen(listener, 1) < 0) {
            throw new IllegalStateException("listen on " + args[0] + ": " + Native.LIBC.strerror(Native.errno()));
        }
        System.out.println("listening");
        int conn = Native.check(Native.LIBC.accept4(listener, 0, 0, LibC.SOCK_CLOEXEC), "accept4");
        FdPassing.Received got = FdPassing.receiveWithFd(conn, UffdMapping.MAX_MESSAGE_BYTES);
        System.out.println(got != null && got.fd() >= 0 ? "took" : "no layout");
        if (args[1].equals("exit")) {
            System.exit(1);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
