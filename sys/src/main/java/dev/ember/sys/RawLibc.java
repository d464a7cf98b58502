package dev.ember.sys;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallContextCache;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.HeapInvocationBuffer;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * libc functions, {@code syscall(2)} first, called through jffi's invoker (the JNI layer jnr-ffi
 * was built on; its class files are AOT-cacheable and it generates no code). {@link LibC} is
 * written over it; the jailer's {@code Sys} and the VMM's seccomp installation use it directly.
 *
 * <p>Every argument is passed as a 64-bit integer (pointers are addresses): on x86_64 a function
 * reads the width it declares from each argument register, so one call form per argument count
 * serves every function of up to six integer or pointer arguments. An int result is the low half
 * of the returned value. {@code syscall} is plain assembly in glibc (no variadic prologue).
 * jffi's allocation-free calls take at most six C arguments; {@link #syscall6} passes seven.
 */
public final class RawLibc {
    /** {@code CALLS[n]}: n 64-bit integer arguments, a 64-bit result, errno saved after the call. */
    private static final CallContext[] CALLS = new CallContext[8];
    static {
        for (int n = 0; n < CALLS.length; n++) {
            Type[] params = new Type[n];
            java.util.Arrays.fill(params, Type.SLONG);
            CALLS[n] = CallContextCache.getInstance().getCallContext(Type.SLONG, params, CallingConvention.DEFAULT, true);
        }
    }
    private static final CallContext CALL = CALLS[6];
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

    /**
     * {@code syscall(number, a0, ..., a5)}: seven C arguments, one more than jffi's direct calls
     * take, so this goes through libffi with a heap argument buffer (a small allocation per
     * call: not for hot paths). jffi's array-of-addresses form would not allocate, but it does
     * not save errno.
     */
    public static long syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5) {
        HeapInvocationBuffer args = new HeapInvocationBuffer(CALLS[7]);
        args.putLong(number);
        args.putLong(a0);
        args.putLong(a1);
        args.putLong(a2);
        args.putLong(a3);
        args.putLong(a4);
        args.putLong(a5);
        return INVOKER.invokeLong(CALLS[7], SYSCALL, args);
    }

    /** Calls {@code function} (an address from {@link #function}) with up to six integer or pointer arguments. */
    public static long call(long function, long a0, long a1, long a2, long a3, long a4, long a5) {
        return INVOKER.invokeN6(CALL, function, a0, a1, a2, a3, a4, a5);
    }

    static long invoke0(long function) {
        return INVOKER.invokeN0(CALLS[0], function);
    }

    static long invoke1(long function, long a0) {
        return INVOKER.invokeN1(CALLS[1], function, a0);
    }

    static long invoke2(long function, long a0, long a1) {
        return INVOKER.invokeN2(CALLS[2], function, a0, a1);
    }

    static long invoke3(long function, long a0, long a1, long a2) {
        return INVOKER.invokeN3(CALLS[3], function, a0, a1, a2);
    }

    static long invoke4(long function, long a0, long a1, long a2, long a3) {
        return INVOKER.invokeN4(CALLS[4], function, a0, a1, a2, a3);
    }

    static long invoke5(long function, long a0, long a1, long a2, long a3, long a4) {
        return INVOKER.invokeN5(CALLS[5], function, a0, a1, a2, a3, a4);
    }

    static long invoke6(long function, long a0, long a1, long a2, long a3, long a4, long a5) {
        return INVOKER.invokeN6(CALLS[6], function, a0, a1, a2, a3, a4, a5);
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
