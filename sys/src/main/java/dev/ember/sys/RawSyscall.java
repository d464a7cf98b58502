package dev.ember.sys;

import com.kenai.jffi.CallContext;
import com.kenai.jffi.CallContextCache;
import com.kenai.jffi.CallingConvention;
import com.kenai.jffi.Invoker;
import com.kenai.jffi.LastError;
import com.kenai.jffi.Library;
import com.kenai.jffi.MemoryIO;
import com.kenai.jffi.Type;

/**
 * libc's {@code syscall(2)} called through jffi's invoker, the layer under jnr-ffi, without
 * {@link LibC}'s binding. jnr-ffi builds {@link LibC} at its first use: it generates a class with
 * ASM and a native stub per method with an x86 assembler, ~100 ms of CPU at start-up in code and
 * class files (ASM's are Java 5) that the AOT cache cannot hold. Installing seccomp needs two
 * system calls, so it goes through here, and the VMM answers its first request before anything
 * binds {@link LibC} (see docs/architecture.md, "Start-up").
 *
 * <p>{@code syscall} is plain assembly in glibc (no variadic prologue), and the kernel ignores
 * arguments a call does not take, so one six-argument form serves every call.
 */
public final class RawSyscall {
    private static final long SYSCALL = Library.getDefault().getSymbolAddress("syscall");
    private static final CallContext CALL = CallContextCache.getInstance().getCallContext(Type.SLONG,
            new Type[] {Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG, Type.SLONG},
            CallingConvention.DEFAULT, true);
    private static final Invoker INVOKER = Invoker.getInstance();
    private static final MemoryIO MEMORY = MemoryIO.getInstance();

    private RawSyscall() {}

    /** {@code syscall(number, a0, ..., a4)}: its result; -1 with {@link #errno()} set when it failed. */
    public static long call(long number, long a0, long a1, long a2, long a3, long a4) {
        return INVOKER.invokeN6(CALL, SYSCALL, number, a0, a1, a2, a3, a4);
    }

    /** errno of the last failed {@link #call} on this thread (the slot {@link Native#errno()} reads too). */
    public static int errno() {
        return LastError.getInstance().get();
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
}
