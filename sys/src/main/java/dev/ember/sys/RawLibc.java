package dev.ember.sys;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallContextCache;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * libc functions, {@code syscall(2)} first, called through jffi's invoker, the layer under
 * jnr-ffi, without {@link LibC}'s binding. jnr-ffi builds {@link LibC} at its first use: it
 * generates a class with ASM and a native stub per method with an x86 assembler, ~100-150 ms of
 * CPU in code and class files (ASM's are Java 5) that the AOT cache cannot hold. What runs before
 * that matters goes through here: the VMM's seccomp installation (so the first API request does
 * not wait for the binding) and the jailer's whole work (it makes ~30 calls and exits into the VMM).
 *
 * <p>Every argument is passed as a 64-bit integer (pointers are addresses): one six-argument
 * call form serves every function of up to six integer or pointer arguments, since on x86_64 a
 * function ignores the argument registers it does not take. An int result is the low half of
 * the returned value. {@code syscall} is plain assembly in glibc (no variadic prologue).
 */
public final class RawLibc {
    private static final CallContext CALL = CallContextCache.getInstance().getCallContext(Type.SLONG,
            new Type[] {Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG},
            CallingConvention.DEFAULT, true);
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();
    private static final long SYSCALL = function("syscall");
    private static final long STRERROR = function("strerror");

    private RawLibc() {}

    /** The address of libc's (or any loaded library's) function {@code name}. */
    public static long function(String name) {
        long address = Library.getDefault().getSymbolAddress(name);
        if (address == 0) {
            throw new UnsatisfiedLinkError("no function " + name + " in the process: " + Library.getLastError());
        }
        return address;
    }

    /** {@code syscall(number, a0, ..., a4)}: its result; -1 with {@link #errno()} set when it failed. */
    public static long syscall(long number, long a0, long a1, long a2, long a3, long a4) {
        return INVOKER.invokeN6(CALL, SYSCALL, number, a0, a1, a2, a3, a4);
    }

    /** Calls {@code function} (an address from {@link #function}) with up to six integer or pointer arguments. */
    public static long call(long function, long a0, long a1, long a2, long a3, long a4, long a5) {
        return INVOKER.invokeN6(CALL, function, a0, a1, a2, a3, a4, a5);
    }

    /** errno of the last failed call on this thread (the slot {@link Native#errno()} reads too). */
    public static int errno() {
        return LastError.getInstance().get();
    }

    /** The C library's text for {@code errno}. */
    public static String strerror(int errno) {
        long text = call(STRERROR, errno, 0, 0, 0, 0, 0);
        return text == 0 ? "errno " + errno : new String(MEMORY.getZeroTerminatedByteArray(text), StandardCharsets.UTF_8);
    }

    /** Zero-filled native memory; the caller frees it with {@link #free}. */
    public static long allocate(long size) {
        long address = MEMORY.allocateMemory(size, true);
        if (address == 0) {
            throw new OutOfMemoryError("native memory: " + size + " bytes");
        }
        return address;
    }

    public static void free(long address) {
        MEMORY.freeMemory(address);
    }

    public static MemoryIO memory() {
        return MEMORY;
    }

    /** Native memory for one set of calls (C strings, argument vectors, small structs), freed together on close. */
    public static final class Scope implements AutoCloseable {
        private final List<Long> blocks = new ArrayList<>();

        /** Zero-filled memory that lives until {@link #close}. */
        public long allocate(long size) {
            long address = RawLibc.allocate(size);
            blocks.add(address);
            return address;
        }

        /** {@code s} as a NUL-terminated UTF-8 string; 0 for null. A NUL inside {@code s} is refused. */
        public long string(String s) {
            if (s == null) {
                return 0;
            }
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a C string cannot hold NUL: " + s.replace('\0', '?'));
            }
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            long address = allocate(bytes.length + 1L);
            MEMORY.putByteArray(address, bytes, 0, bytes.length);
            return address;
        }

        /** A NULL-terminated {@code char *[]} of {@code strings} (argv, envp). */
        public long strings(String[] strings) {
            long vector = allocate(8L * (strings.length + 1));
            for (int i = 0; i < strings.length; i++) {
                MEMORY.putAddress(vector + 8L * i, string(strings[i]));
            }
            return vector;
        }

        @Override
        public void close() {
            for (long address : blocks) {
                RawLibc.free(address);
            }
            blocks.clear();
        }
    }
}
