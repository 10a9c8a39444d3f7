// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.util.List;
import java.util.regex.Pattern;

/** Field checks the events' {@code problems()} share; each adds "field: message" lines. */
final class EventChecks {

    /**
     * Host, image and other ids: as the catalog's tables allow them. They name path segments (the
     * API's /api/images/{id}, the store's manifests/{id}), where "." and ".." would mean this
     * directory and the one above, so those two are no ids.
     */
    static final Pattern ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");
    static final int MAX_PID = 4_194_304;
    /** 1 EiB: far beyond any process, far from overflowing a sum of many. */
    static final long MAX_BYTES = 1L << 60;

    private EventChecks() {
    }

    static void version(List<String> out, int version, int known) {
        if (version < 1 || version > known) out.add("version: " + version + " is not one this reader knows (1 to " + known + ")");
    }

    static void required(List<String> out, String field, Object value) {
        if (value == null) out.add(field + ": is required");
    }

    static void id(List<String> out, String field, String value, boolean required) {
        if (value == null) {
            if (required) out.add(field + ": is required");
        } else if (!ID.matcher(value).matches()) {
            out.add(field + ": must match " + ID.pattern());
        } else if (value.equals(".") || value.equals("..")) {
            out.add(field + ": must not be . or ..");
        }
    }

    static void job(List<String> out, String job) {
        if (job == null || job.isBlank() || job.length() > 200) out.add("job: must be 1 to 200 characters");
        else if (job.chars().anyMatch(Character::isISOControl)) out.add("job: must not contain control characters");
    }

    static void pid(List<String> out, String field, int pid) {
        if (pid < 1 || pid > MAX_PID) out.add(field + ": must be between 1 and " + MAX_PID + " (is " + pid + ")");
    }

    static void bytes(List<String> out, String field, long value) {
        if (value < 0 || value > MAX_BYTES) out.add(field + ": must be between 0 and 2^60 (is " + value + ")");
    }

    static void text(List<String> out, String field, String value, int max, boolean required) {
        if (value == null) {
            if (required) out.add(field + ": is required");
            return;
        }
        if (value.isBlank() && required) out.add(field + ": must not be blank");
        if (value.length() > max) out.add(field + ": at most " + max + " characters");
        if (value.indexOf('\0') >= 0) out.add(field + ": must not contain NUL characters");
    }
}
