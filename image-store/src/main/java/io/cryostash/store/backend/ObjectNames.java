// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

/** The one rule for object names, shared by every back end so they accept the same names. */
final class ObjectNames {
    private ObjectNames() {
    }

    /**
     * Names are relative slash-separated paths of {@code [A-Za-z0-9._-]} segments; no empty,
     * "." or ".." segment, so a name can never leave a directory back end's root.
     */
    static String check(String name) {
        if (name == null || name.isEmpty() || name.length() > 512) {
            throw new IllegalArgumentException("bad object name: " + name);
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..") || !seg.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("bad object name: " + name);
            }
        }
        return name;
    }

    static String checkPrefix(String prefix) {
        if (prefix == null || prefix.contains("..") || prefix.startsWith("/") || !prefix.matches("[A-Za-z0-9._/-]*")) {
            throw new IllegalArgumentException("bad prefix: " + prefix);
        }
        return prefix;
    }
}
