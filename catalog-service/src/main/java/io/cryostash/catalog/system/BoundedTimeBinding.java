// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.beans.PropertyEditorSupport;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

import org.springframework.web.bind.WebDataBinder;
import org.springframework.web.bind.annotation.ControllerAdvice;
import org.springframework.web.bind.annotation.InitBinder;

/**
 * Times and dates in query parameters and forms (every controller): ISO-8601 as before
 * (2026-01-31T12:00:00Z, with an offset or fractions of a second; dates as 2026-01-31), and within
 * {@link TimeBounds}. Out of range is a 400 naming the parameter, no longer a database error.
 * These editors take the place of {@code @DateTimeFormat(iso = …)} parsing.
 */
@ControllerAdvice
public class BoundedTimeBinding {

    @InitBinder
    void boundedTimes(WebDataBinder binder) {
        binder.registerCustomEditor(Instant.class, new InstantEditor());
        binder.registerCustomEditor(LocalDate.class, new LocalDateEditor());
    }

    static final class InstantEditor extends PropertyEditorSupport {
        @Override
        public void setAsText(String text) {
            if (text == null || text.isBlank()) {
                setValue(null);
                return;
            }
            Instant t;
            try {
                t = OffsetDateTime.parse(text.strip()).toInstant();
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 time: " + text);
            }
            if (!TimeBounds.contains(t)) throw new IllegalArgumentException("outside years 1 to 9999: " + text);
            setValue(t);
        }
    }

    static final class LocalDateEditor extends PropertyEditorSupport {
        @Override
        public void setAsText(String text) {
            if (text == null || text.isBlank()) {
                setValue(null);
                return;
            }
            LocalDate d;
            try {
                d = LocalDate.parse(text.strip());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("not an ISO-8601 date: " + text);
            }
            if (!TimeBounds.contains(d)) throw new IllegalArgumentException("outside years 1 to 9999: " + text);
            setValue(d);
        }
    }
}
