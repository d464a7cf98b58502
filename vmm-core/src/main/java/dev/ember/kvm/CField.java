package dev.ember.kvm;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * An {@code int} constant holding {@code offsetof(struct S, value)} for the enclosing
 * {@link CStruct}; {@code size} is the member's {@code sizeof}, also checked by the layout test.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface CField {
    /** Member designator as C's offsetof accepts it, e.g. {@code rip} or {@code io.port}. */
    String value();

    /** sizeof the member in bytes; 0 for a flexible array member (its element struct is checked instead). */
    int size();
}
