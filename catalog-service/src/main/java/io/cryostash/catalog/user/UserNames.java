// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.user;

import java.util.regex.Pattern;

/** The rule for people's user names (also the database's CHECK on users.username). */
public final class UserNames {

    public static final int MAX_LENGTH = 64;
    public static final Pattern VALID = Pattern.compile("^[A-Za-z0-9._@-]{1," + MAX_LENGTH + "}$");
    public static final String RULE = "1 to " + MAX_LENGTH + " letters, digits or . _ @ -";

    private UserNames() {
    }

    /**
     * A name someone typed, as the audit log keeps it: at most {@link #MAX_LENGTH} characters, with
     * its length said when it was longer, and control characters shown as \\uXXXX.
     */
    public static String forAudit(String typed) {
        if (typed == null) return "";
        String head = typed.length() > MAX_LENGTH ? typed.substring(0, MAX_LENGTH) : typed;
        StringBuilder b = new StringBuilder();
        head.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        if (typed.length() > MAX_LENGTH) b.append("…(").append(typed.length()).append(" characters)");
        return b.toString();
    }
}
