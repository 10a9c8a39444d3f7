// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.index;

import io.cryostash.schema.store.PackIndexEntry;

import java.util.List;

/** A pack as the index knows it: name, size in bytes, and its chunks. */
public record PackSummary(String id, long size, List<PackIndexEntry> entries) {
    public PackSummary {
        if (id == null || !id.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("pack id must be 64 hex characters: " + id);
        }
        entries = List.copyOf(entries);
    }
}
