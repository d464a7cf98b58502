package dev.ember.kvm;

import dev.ember.sys.NativeException;

/** A KVM ioctl failed; the message names the ioctl and the kernel's errno. */
public class KvmException extends NativeException {
    private static final long serialVersionUID = 1L;

    public KvmException(String what, int errno) {
        super(what, errno);
    }
}
