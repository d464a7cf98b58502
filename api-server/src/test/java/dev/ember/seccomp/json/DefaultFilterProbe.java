package dev.ember.seccomp.json;

import dev.ember.sys.LibC;
import dev.ember.sys.Native;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Child side of DefaultFilterTest: installs the built-in filter (or the file in args[0] when it is
 * not "-"), then does what the VMM does at run time, one named step per argument, printing
 * {@code ok <step>} after each.
 */
public final class DefaultFilterProbe {
    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("ember-seccomp");
        Path data = Files.writeString(dir.resolve("disk.img"), "x".repeat(8192));
        if (args[0].equals("-")) {
            SeccompFilters.installDefault();
        } else {
            SeccompFilters.install(Path.of(args[0]));
        }
        System.out.println("installed");
        for (String step : List.of(args).subList(1, args.length)) {
            switch (step) {
                case "threads" -> {
                    List<Thread> ts = new ArrayList<>();
                    long[] sums = new long[4];
                    for (int i = 0; i < 4; i++) {
                        int n = i;
                        Thread t = new Thread(() -> {
                            for (int k = 0; k < 2_000_000; k++) {
                                sums[n] += Integer.toString(k).hashCode();   // allocation and JIT work
                            }
                        }, "worker" + i);
                        ts.add(t);
                        t.start();
                    }
                    for (Thread t : ts) {
                        t.join();
                    }
                    System.gc();
                }
                case "file" -> {
                    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                        ch.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)), 4096);
                        ByteBuffer b = ByteBuffer.allocate(5);
                        ch.read(b, 4096);
                        ch.force(false);
                        if (!new String(b.array(), StandardCharsets.US_ASCII).equals("hello")) {
                            throw new AssertionError("read back " + new String(b.array(), StandardCharsets.US_ASCII));
                        }
                    }
                }
                case "unix-server" -> {
                    Path sock = dir.resolve("api.sock");
                    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                        server.bind(UnixDomainSocketAddress.of(sock));
                        server.configureBlocking(false);
                        if (server.accept() != null) {
                            throw new AssertionError("nobody connected");
                        }
                    }
                    Files.delete(sock);
                }
                case "kvm" -> {
                    int fd = Native.check(Native.LIBC.open("/dev/kvm", LibC.O_RDWR | LibC.O_CLOEXEC, 0), "open /dev/kvm");
                    int version = Native.check(Native.LIBC.ioctl(fd, 0xAE00L, 0L), "KVM_GET_API_VERSION");
                    Native.LIBC.close(fd);
                    if (version != 12) {
                        throw new AssertionError("KVM API version " + version);
                    }
                }
                case "tcp" -> SocketChannel.open().connect(new InetSocketAddress("127.0.0.1", 9));
                case "exec" -> new ProcessBuilder("/bin/true").start().waitFor();
                default -> throw new IllegalArgumentException(step);
            }
            System.out.println("ok " + step);
            System.out.flush();
        }
        System.out.println("done");
    }
}
