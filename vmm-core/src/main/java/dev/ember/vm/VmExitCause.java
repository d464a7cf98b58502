package dev.ember.vm;

/**
 * Why a VM ended, as data beside the exit code and the message: the layers above turn a cause
 * into advice (e.g. what to do when PVM's emulator cannot run the guest's kernel).
 */
public enum VmExitCause {
    /** Anything without a more specific cause: the guest's own exit, a reset, a device's request. */
    OTHER,
    /** KVM could not emulate a guest instruction (KVM_EXIT_INTERNAL_ERROR, emulation suberror). */
    INSTRUCTION_EMULATION_FAILED,
    /** A vCPU hit KVM_EXIT_SHUTDOWN: a triple fault, or a guest that resets that way on purpose. */
    KVM_SHUTDOWN,
}
