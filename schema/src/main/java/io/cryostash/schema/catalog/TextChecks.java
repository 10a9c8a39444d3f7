// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The checks the {@code problems()} methods share: each adds "field: message" lines a sender can
 * act on. Limits are generous for real hosts and processes but keep one report from filling the
 * catalog's tables (or a web page) with megabytes of text.
 */
final class TextChecks {

    /** Machine architecture as uname -m prints it: x86_64, aarch64, riscv64, ppc64le, s390x. */
    static final Pattern ARCH = Pattern.compile("^[A-Za-z0-9_]{1,32}$");
    /** Kernel release (uname -r, at most 64 bytes in the kernel): printable ASCII without spaces. */
    static final Pattern KERNEL = Pattern.compile("^[\\x21-\\x7e]{1,64}$");
    /** A CPU feature flag as /proc/cpuinfo lists it (x86 "flags", arm64 "Features"). */
    static final Pattern CPU_FLAG = Pattern.compile("^[A-Za-z0-9_.:-]{1,64}$");
    /** A fingerprint is a hash, hex or base64, possibly with a prefix such as "sha256:". */
    static final Pattern FINGERPRINT = Pattern.compile("^[A-Za-z0-9._:+/=-]{1,256}$");
    /** A pack object's key in the store (a hash or a path-like name). */
    static final Pattern PACK = Pattern.compile("^[A-Za-z0-9._:/+=-]{1,512}$");
    /** An agent version: semantic version with pre-release and build parts. */
    static final Pattern VERSION = Pattern.compile("^[A-Za-z0-9._+-]{1,64}$");
    /** x86-64 /proc/cpuinfo lists about 200 flags today; ten times that is room for growth, not for junk. */
    static final int MAX_CPU_FLAGS = 2048;

    private TextChecks() {
    }

    /** An optional value that, when present, must match {@code pattern}; {@code what} describes the pattern to a person. */
    static void matches(List<String> out, String field, String value, Pattern pattern, String what) {
        if (value != null && !pattern.matcher(value).matches()) out.add(field + ": must be " + what + shownAs(value));
    }

    /** Optional free text (a name, a CPU model): when present, 1 to {@code max} characters and no control characters. */
    static void text(List<String> out, String field, String value, int max) {
        if (value == null) return;
        if (value.isBlank() || value.length() > max) {
            out.add(field + ": must be 1 to " + max + " characters (has " + value.length() + ")");
        } else if (value.chars().anyMatch(Character::isISOControl)) {
            out.add(field + ": must not contain control characters (line breaks, tabs, NUL)");
        }
    }

    /**
     * Text stored as JSON in PostgreSQL (argv, thread names, labels): anything a process may hold
     * except NUL, which jsonb refuses, so that the agent gets this message rather than a database error.
     */
    static void noNul(List<String> out, String field, String value) {
        if (value != null && value.indexOf('\0') >= 0) out.add(field + ": must not contain NUL characters");
    }

    /** A number a sender reports: within [min, max], said with both bounds when it is not. */
    static void between(List<String> out, String field, long value, long min, long max) {
        if (value < min || value > max) out.add(field + ": must be between " + min + " and " + max + " (is " + value + ")");
    }

    /** CPU feature flags: at most {@link #MAX_CPU_FLAGS}, each matching {@link #CPU_FLAG}; only the first bad flag is named. */
    static void cpuFlags(List<String> out, String field, List<String> flags) {
        if (flags == null) return;
        if (flags.size() > MAX_CPU_FLAGS) {
            out.add(field + ": at most " + MAX_CPU_FLAGS + " flags (has " + flags.size() + ")");
            return;
        }
        for (int i = 0; i < flags.size(); i++) {
            String f = flags.get(i);
            if (f == null || !CPU_FLAG.matcher(f).matches()) {
                out.add(field + "[" + i + "]: must be 1 to 64 letters, digits or _ . : -" + shownAs(f));
                return;
            }
        }
    }

    /** The start of an offending value, so that the sender can find it, without echoing megabytes back. */
    private static String shownAs(String value) {
        if (value == null) return " (is null)";
        String head = value.length() <= 40 ? value : value.substring(0, 40) + "…";
        StringBuilder b = new StringBuilder(" (is \"");
        head.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        b.append('"');
        if (value.length() > 40) b.append(", ").append(value.length()).append(" characters");
        return b.append(')').toString();
    }
}
