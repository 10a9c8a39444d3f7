// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import java.nio.ByteBuffer;

import io.cryostash.schema.image.MemoryArea;

/**
 * Where restore gets an area's saved pages from: a plain image's memory file or the chunk store.
 * Restore does not care which; it writes each run where it belongs.
 */
public interface PageSource extends AutoCloseable {

    /**
     * Calls {@code sink} for every stored run of {@code area}'s pages, possibly from several
     * threads at once. The buffer is only valid during the call (sources reuse it).
     */
    void forEachRun(MemoryArea area, RunSink sink);

    @Override
    void close();

    @FunctionalInterface
    interface RunSink {
        /** @param firstPage index of the run's first page within the area */
        void accept(long firstPage, ByteBuffer pages);
    }
}
