package dev.ember.kvm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A numeric constant (ioctl number, exit reason, capability, flag) whose value must equal the
 * C expression {@code value} evaluated against {@code <linux/kvm.h>}; checked by StructLayoutTest.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface CConst {
    String value();
}
