// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.core.task.TaskExecutor;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Keeps the {@link ChunkKeyFilter} in step with the chunk table: loaded from the database at start
 * and again every {@code cryostash.catalog.chunk-filter-reload} (default one hour, which also picks up
 * chunks that other catalog instances on the same database registered), and told about every chunk
 * this instance registers. Until the first load is done there is no filter and every key goes to
 * the database.
 */
@Service
public class ChunkFilterService {

    private static final Logger log = LoggerFactory.getLogger(ChunkFilterService.class);
    private final boolean enabled;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate readOnly;
    private final TaskExecutor loader;
    private final AtomicBoolean loading = new AtomicBoolean();
    private volatile ChunkKeyFilter current;
    /** The filter a reload is filling, which must get every key added while it runs; guarded by this. */
    private ChunkKeyFilter next;

    public ChunkFilterService(CatalogProperties props, DataSource dataSource, TransactionTemplate tx,
                              @Qualifier(ChunkLookupConfig.FILTER_LOADER) TaskExecutor loader) {
        this.enabled = props.chunkFilter();
        // Its own template: the scan streams in batches instead of holding 10 million rows at once.
        this.jdbc = new JdbcTemplate(dataSource);
        this.jdbc.setFetchSize(50_000);
        this.readOnly = new TransactionTemplate(tx.getTransactionManager());
        this.readOnly.setReadOnly(true);
        this.loader = loader;
    }

    /** The loaded filter, or null while there is none (every key may be present). */
    public ChunkKeyFilter filter() {
        return current;
    }

    /**
     * Adds the keys of chunks a registration inserts, once its transaction commits: a reload's scan
     * that starts after that sees them in the table, one that started before gets them from here.
     */
    public void addAfterCommit(List<byte[]> keys) {
        if (!enabled) return;
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            add(keys);
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCommit() {
                add(keys);
            }
        });
    }

    private synchronized void add(List<byte[]> keys) {
        for (byte[] k : keys) {
            if (current != null) current.add(k);
            if (next != null) next.add(k);
        }
    }

    @Scheduled(initialDelay = 0, fixedDelayString = "${cryostash.catalog.chunk-filter-reload:PT1H}")
    void scheduledReload() {
        if (enabled) loader.execute(this::reloadIfIdle);
    }

    private void reloadIfIdle() {
        try {
            reload();
        } catch (RuntimeException e) {
            log.warn("Loading the chunk key filter failed; chunk queries ask the database about every key until the next reload: {}",
                    e.toString());
        }
    }

    /** Reads every chunk key prefix from the database into a new filter and then uses it; false when a reload is already running. */
    public boolean reload() {
        if (!enabled || !loading.compareAndSet(false, true)) return false;
        try {
            long t0 = System.nanoTime();
            Long estimate = jdbc.queryForObject("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'chunks'::regclass", Long.class);
            ChunkKeyFilter f = new ChunkKeyFilter(estimate == null ? 0 : estimate);
            synchronized (this) {
                next = f;
            }
            readOnly.executeWithoutResult(s -> {
                jdbc.query("SELECT substring(key FROM 1 FOR 8) FROM chunks", rs -> {
                    f.add(rs.getBytes(1));
                });
            });
            synchronized (this) {
                current = f;
                next = null;
            }
            log.info("Chunk key filter: {} keys, {} MiB, loaded in {} ms", f.size(), f.bytes() >> 20, (System.nanoTime() - t0) / 1_000_000);
            return true;
        } finally {
            synchronized (this) {
                next = null;
            }
            loading.set(false);
        }
    }
}
