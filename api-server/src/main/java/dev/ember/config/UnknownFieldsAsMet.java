package dev.ember.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.SettableBeanProperty;
import java.util.Iterator;

/**
 * Makes databind refuse a record's unknown field where it meets it, as serde does
 * (deny_unknown_fields), so that the first problem in a body is the one reported: on its own
 * databind keeps an unknown field of a record until it has all the record's fields, and reports
 * an error further on (a wrong type, a missing field) first. A type's fields are made its only
 * "included" ones, and with FAIL_ON_IGNORED_PROPERTIES any other name fails as it is read.
 */
final class UnknownFieldsAsMet extends BeanDeserializerModifier {
    private static final long serialVersionUID = 1L;

    @Override
    public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription beanDesc, BeanDeserializerBuilder builder) {
        for (Iterator<SettableBeanProperty> it = builder.getProperties(); it.hasNext(); ) {
            builder.addIncludable(it.next().getName());
        }
        return builder;
    }
}
