// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One chunk an image names.
 *
 * @param key         lower-case hex of the hash of the chunk's uncompressed bytes (32 to 128 hex digits)
 * @param rawBytes    uncompressed size
 * @param storedBytes compressed size in its pack, or null when not known to the sender
 * @param pack        key of the pack object that holds it, or null
 * @param offset      byte offset inside that pack, or null
 */
public record ChunkRef(String key, long rawBytes, Long storedBytes, String pack, Long offset) {

    public static final Pattern KEY = Pattern.compile("^[0-9a-f]{32,128}$");
    /** Offsets inside a pack: packs are megabytes; a terabyte is room for any, and sums of offsets stay far from overflow. */
    public static final long MAX_OFFSET = 1L << 40;

    /** Whether {@code key} is 32 to 128 lower-case hex digits, an even count (same as {@link #KEY}, without a regex). */
    public static boolean isValidKey(String key) {
        if (key == null || key.length() < 32 || key.length() > 128 || key.length() % 2 != 0) return false;
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    /**
     * Whether {@link #problems} would find none, without building messages: {@code goodPacks} holds
     * pack names already found good (this adds to it), so that each is matched once.
     */
    public boolean valid(java.util.Set<String> goodPacks) {
        if (!isValidKey(key) || rawBytes < 0 || rawBytes > Integer.MAX_VALUE) return false;
        if (storedBytes != null && (storedBytes < 0 || storedBytes > Integer.MAX_VALUE)) return false;
        if (offset != null && (offset < 0 || offset > MAX_OFFSET)) return false;
        if (pack == null || goodPacks.contains(pack)) return true;
        if (!TextChecks.PACK.matcher(pack).matches()) return false;
        goodPacks.add(pack);
        return true;
    }

    public List<String> problems(String path) {
        List<String> out = new ArrayList<>();
        if (!isValidKey(key)) out.add(path + ".key: must be 32 to 128 lower-case hex digits, even count");
        if (rawBytes < 0 || rawBytes > Integer.MAX_VALUE) out.add(path + ".rawBytes: must be between 0 and 2^31-1");
        if (storedBytes != null && (storedBytes < 0 || storedBytes > Integer.MAX_VALUE)) out.add(path + ".storedBytes: must be between 0 and 2^31-1");
        if (offset != null) TextChecks.between(out, path + ".offset", offset, 0, MAX_OFFSET);
        TextChecks.matches(out, path + ".pack", pack, TextChecks.PACK, "1 to 512 letters, digits or . _ : / + = -");
        return out;
    }
}
