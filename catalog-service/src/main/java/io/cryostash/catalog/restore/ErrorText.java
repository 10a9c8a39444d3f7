// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

/**
 * How much of a restore agent's error message the catalog keeps. A longer message is cut, not
 * refused: refusing would lose the FAILED report itself (the request would look RUNNING forever),
 * while the head of a message (the first lines of a stack trace) is what says what went wrong.
 */
public final class ErrorText {

    public static final int MAX_CHARS = 4_000;

    private ErrorText() {
    }

    /** The message, or its first {@link #MAX_CHARS} characters with a note of how long it was; null stays null. */
    public static String keep(String error) {
        if (error == null || error.length() <= MAX_CHARS) return error;
        String note = "… [cut: " + error.length() + " characters in all]";
        int end = MAX_CHARS - note.length();
        // Do not split a surrogate pair (an emoji or other character outside the BMP).
        if (Character.isHighSurrogate(error.charAt(end - 1))) end--;
        return error.substring(0, end) + note;
    }
}
