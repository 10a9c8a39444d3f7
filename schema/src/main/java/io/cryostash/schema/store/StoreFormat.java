// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

/**
 * Versions, object-name prefixes and limits of the store layout (docs/store-format.md).
 *
 * <p>The limits exist so that a corrupt or hostile object makes a reader fail with a message
 * instead of allocating gigabytes; they are far above anything a real capture writes.
 */
public final class StoreFormat {
    private StoreFormat() {
    }

    public static final FormatVersion PACK_VERSION = new FormatVersion(1, 0);
    public static final FormatVersion INDEX_VERSION = new FormatVersion(1, 0);
    public static final FormatVersion MANIFEST_VERSION = new FormatVersion(2, 0);
    public static final FormatVersion TABLE_VERSION = new FormatVersion(1, 0);

    /** Object-name prefix of packs: {@code packs/<sha256 of the pack bytes>}. */
    public static final String PACKS = "packs/";
    /** Object-name prefix of index objects: {@code index/<sha256 of the object>}. */
    public static final String INDEX = "index/";
    /** Object-name prefix of signed manifests: {@code manifests/<image id>}. */
    public static final String MANIFESTS = "manifests/";
    /** Object-name prefix of lock objects (capture in progress, GC running). */
    public static final String LOCKS = "locks/";
    /**
     * Object-name prefix of condemnation records: {@code condemned/<millis>-<random>}, the packs one
     * garbage collection run took out of the index, deleted by a later run once every capture has
     * seen the record (docs/store-format.md, "Garbage collection beside captures").
     */
    public static final String CONDEMNED = "condemned/";
    /** Object-name prefix of the catalog's signed audit-chain anchors. */
    public static final String AUDIT_ANCHORS = "audit/anchors/";

    /** Largest uncompressed chunk accepted (a file blob piece or a memory chunk). */
    public static final int MAX_CHUNK_SIZE = 16 << 20;
    /** Largest number of chunks in one pack. */
    public static final int MAX_PACK_ENTRIES = 1 << 20;
    /** Largest encoded signed manifest. */
    public static final int MAX_MANIFEST_SIZE = 256 << 20;
    /** Largest number of distinct chunks one manifest may reference. */
    public static final int MAX_MANIFEST_CHUNKS = 8 << 20;
    /** Largest number of entries (chunks and patches) in one chunk table. */
    public static final int MAX_TABLE_ENTRIES = 1 << 16;
    /** Largest manifest payload (the process-image JSON). */
    public static final int MAX_PAYLOAD_SIZE = 64 << 20;
}
