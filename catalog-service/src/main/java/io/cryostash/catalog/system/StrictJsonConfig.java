// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.time.Instant;

import io.cryostash.schema.catalog.RestoreStatusReport;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.BeanProperty;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.KeyDeserializer;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.deser.std.DelegatingDeserializer;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.ext.javatime.deser.InstantDeserializer;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.type.LogicalType;

/**
 * How request bodies are read, stricter than Jackson's defaults, so that what PostgreSQL would
 * refuse (or what would silently change) is a 400 naming the field ({@link UnreadableBody}):
 * <ul>
 * <li>1.5 for a whole number is an error, not 1; a number or true/false where a string is expected is an error,
 * not its text;</li>
 * <li>a string (or a map key) with a NUL character is an error: PostgreSQL cannot store NUL. The one
 * exception is a restore's error message ({@link RestoreStatusReport#error()}), where NUL becomes
 * U+FFFD: refusing the message would lose the FAILED report it belongs to;</li>
 * <li>a time before the year 1 or after 9999 is an error ({@link TimeBounds}).</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
public class StrictJsonConfig {

    @Bean
    JsonMapperBuilderCustomizer strictRequestBodies() {
        SimpleModule m = new SimpleModule("cryostash-strict-request-bodies");
        m.addDeserializer(String.class, new NulFreeString(false));
        m.addKeyDeserializer(String.class, new NulFreeKey());
        @SuppressWarnings("unchecked")
        ValueDeserializer<Instant> instants = (ValueDeserializer<Instant>) (ValueDeserializer<?>) new BoundedInstant(InstantDeserializer.INSTANT);
        m.addDeserializer(Instant.class, instants);
        return b -> b.disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT).addModule(m)
                // Jackson turns 5, 1.5 and true into "5", "1.5" and "true" where a string is expected: a
                // sender that mixed up its fields would never hear of it (found by RestInputFuzzProperties)
                .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail));
    }

    static final String NUL = "must not contain NUL characters";

    /** Strings without NUL; {@code replace}: NUL becomes U+FFFD instead of an error. */
    static final class NulFreeString extends StringDeserializer {
        private final boolean replace;

        NulFreeString(boolean replace) {
            this.replace = replace;
        }

        @Override
        public ValueDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
            boolean lenient = property != null && property.getMember() != null
                    && property.getMember().getDeclaringClass() == RestoreStatusReport.class
                    && "error".equals(property.getName());
            return lenient == replace ? this : new NulFreeString(lenient);
        }

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) {
            String s = super.deserialize(p, ctxt);
            if (s == null || s.indexOf('\0') < 0) return s;
            if (replace) return s.replace('\0', '\uFFFD');
            throw InvalidFormatException.from(p, NUL, s, String.class);
        }
    }

    static final class NulFreeKey extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext ctxt) {
            if (key.indexOf('\0') >= 0) throw InvalidFormatException.from(ctxt.getParser(), NUL, key, String.class);
            return key;
        }
    }

    /** Instants as Jackson reads them, then within {@link TimeBounds}. */
    static final class BoundedInstant extends DelegatingDeserializer {
        BoundedInstant(ValueDeserializer<?> delegate) {
            super(delegate);
        }

        @Override
        protected ValueDeserializer<?> newDelegatingInstance(ValueDeserializer<?> newDelegatee) {
            return new BoundedInstant(newDelegatee);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) {
            Object v = super.deserialize(p, ctxt);
            if (v instanceof Instant t && !TimeBounds.contains(t)) {
                throw InvalidFormatException.from(p, "must be " + TimeBounds.RULE, p.getString(), Instant.class);
            }
            return v;
        }
    }
}
