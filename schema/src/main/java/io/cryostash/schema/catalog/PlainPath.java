// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

/**
 * The catalog's rule for paths an agent reports: the manifest codec's (absolute, no "." or ".."
 * components, no NUL) plus no other control characters, which a page or a log line would carry
 * to whoever reads it.
 */
final class PlainPath {

    /** PATH_MAX, terminating NUL included. */
    static final int MAX_LENGTH = 4095;

    private PlainPath() {
    }

    /** Null when {@code path} is a plain absolute path, else what is wrong with it. */
    static String problem(String path) {
        if (path == null || !path.startsWith("/") || path.length() > MAX_LENGTH || path.chars().anyMatch(c -> c < 0x20)) {
            return "must be an absolute path of at most " + MAX_LENGTH + " characters without control characters";
        }
        for (String part : path.split("/")) {
            if (part.equals(".") || part.equals("..")) return "must not have . or .. components";
        }
        return null;
    }
}
