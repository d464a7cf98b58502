package dev.ember.kvm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class that declares the layout of one kernel struct. Its {@code SIZE} constant is
 * {@code sizeof(struct value)} and its {@link CField} constants are member offsets;
 * StructLayoutTest checks all of them against {@code <linux/kvm.h>} with gcc.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface CStruct {
    /** The C struct tag, without {@code struct}. */
    String value();
}
