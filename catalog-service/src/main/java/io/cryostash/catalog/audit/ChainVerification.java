// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;
import java.util.List;

/**
 * What a check of the audit chain found.
 *
 * @param valid     no problem found
 * @param links     links checked (the chain's length)
 * @param headSeq   the last link's position (0: empty chain)
 * @param headHash  the last link's hash (hex), or null
 * @param anchors   anchors in the store checked against the chain (0 when no store is configured)
 * @param problems  each problem found, at most {@link AuditVerifier#MAX_PROBLEMS}
 */
public record ChainVerification(boolean valid, long links, long headSeq, String headHash, int anchors,
                                List<Problem> problems, Instant checkedAt) {

    /**
     * One problem: where ({@code seq} of the link, {@code entryId} of the audit entry; either may be
     * null), what kind ({@link Kind}) and a sentence for people.
     */
    public record Problem(Long seq, Long entryId, Kind kind, String message) {
    }

    public enum Kind {
        /** an entry's content no longer hashes to its link: edited */
        EDITED,
        /** a link names an entry that is gone: deleted */
        ENTRY_MISSING,
        /** positions skip, or a link's previous hash is not the previous link's hash: links removed or inserted */
        BROKEN_LINK,
        /** an entry older than the chain's watermark has no link: inserted behind the catalog's back */
        UNCHAINED,
        /** an anchor in the store disagrees with the chain, names a position it does not reach, or its signature fails */
        ANCHOR_MISMATCH
    }
}
