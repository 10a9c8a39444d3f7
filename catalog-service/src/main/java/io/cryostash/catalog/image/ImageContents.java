// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.util.List;

import io.cryostash.schema.catalog.AreaSummary;
import io.cryostash.schema.catalog.FdSummary;
import io.cryostash.schema.catalog.ThreadSummary;

/**
 * What is inside an image, one slice of each list: areas by address, descriptors by number,
 * threads in the order the agent sent them. Empty (totals 0) when the agent sent no lists.
 */
public record ImageContents(Slice<ThreadSummary> threads, Slice<AreaSummary> areas, Slice<FdSummary> fds) {

    /** Items {@code offset} to {@code offset + items.size()} of a list of {@code total}. */
    public record Slice<T>(int total, int offset, List<T> items) {

        public static <T> Slice<T> empty(int offset) {
            return new Slice<>(0, offset, List.of());
        }

        public boolean hasPrevious() {
            return offset > 0;
        }

        public boolean hasNext() {
            return offset + items.size() < total;
        }
    }

    /** Which slice of each list to read: up to {@code limit} items from each offset. */
    public record Window(int threadsFrom, int areasFrom, int fdsFrom, int limit) {

        public static Window first(int limit) {
            return new Window(0, 0, 0, limit);
        }
    }

    public static ImageContents empty(Window w) {
        return new ImageContents(Slice.empty(w.threadsFrom()), Slice.empty(w.areasFrom()), Slice.empty(w.fdsFrom()));
    }
}
