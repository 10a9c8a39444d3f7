// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.util.List;

/**
 * One page of a listing: {@code page} counts from 0. Large listings count only up to ten pages past
 * this one: then {@code totalExact} is false and {@code total} is a lower bound ("more than").
 */
public record Page<T>(List<T> items, int page, int size, long total, boolean totalExact) {

    public Page(List<T> items, int page, int size, long total) {
        this(items, page, size, total, true);
    }

    /** How many rows to count at most for a page: ten pages past it, plus one to tell "more". */
    public static long countCap(int page, int size) {
        return (long) page * size + 10L * size + 1;
    }

    /** A page whose total was counted with {@link #countCap}. */
    public static <T> Page<T> capped(List<T> items, int page, int size, long counted) {
        long cap = countCap(page, size);
        return counted >= cap ? new Page<>(items, page, size, cap - 1, false) : new Page<>(items, page, size, counted, true);
    }

    public int totalPages() {
        return size == 0 ? 0 : (int) ((total + size - 1) / size);
    }

    public boolean hasNext() {
        return (long) (page + 1) * size < total || (!totalExact && (long) (page + 1) * size <= total);
    }

    public boolean hasPrevious() {
        return page > 0;
    }
}
