// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.check;

import io.cryostash.store.IntegrityException;

/** A pack the checker found wrong, with what is wrong with it. */
public class PackCheckException extends IntegrityException {
    /** What is wrong. */
    public enum Kind {
        /** An index names the pack but the back end has no such object. */
        MISSING,
        /** The object's size differs from the size the index records. */
        SIZE_MISMATCH,
        /** The pack's own trailing index cannot be read or differs from the index objects. */
        INDEX_MISMATCH,
        /** The back end has the pack but no index names it (a capture in progress, or a crash). */
        ORPHANED,
        /** The pack's content hash differs from its name. */
        HASH_MISMATCH,
    }

    private final String packId;
    private final Kind kind;

    public PackCheckException(String packId, Kind kind, String detail) {
        super("pack " + packId + ": " + kind.name().toLowerCase().replace('_', ' ') + (detail == null ? "" : " (" + detail + ")"));
        this.packId = packId;
        this.kind = kind;
    }

    public String packId() {
        return packId;
    }

    public Kind kind() {
        return kind;
    }
}
