// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retries {@link TransientBackendException}s with exponential backoff and full jitter.
 *
 * <p>A decorator rather than code in each back end so that both behave the same and the tests
 * can put a {@code FaultyBackend} underneath. Every operation of {@link Backend} is idempotent
 * (objects are immutable and named by content), which is what makes blind retries safe.
 */
public final class RetryingBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(RetryingBackend.class);
    private final Backend inner;
    private final int attempts;
    private final long baseMillis;
    private final long maxMillis;

    /**
     * @param attempts total tries per operation (at least 1)
     * @param base     first delay; doubled on each retry up to {@code max}
     */
    public RetryingBackend(Backend inner, int attempts, Duration base, Duration max) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts < 1");
        }
        this.inner = inner;
        this.attempts = attempts;
        this.baseMillis = base.toMillis();
        this.maxMillis = max.toMillis();
    }

    /** Five tries, 100 ms doubling to 5 s: rides out a restarting S3 server or a few dropped connections. */
    public static RetryingBackend withDefaults(Backend inner) {
        return new RetryingBackend(inner, 5, Duration.ofMillis(100), Duration.ofSeconds(5));
    }

    private interface Op<T> {
        T run() throws IOException;
    }

    private <T> T retry(String what, Op<T> op) throws IOException {
        long delay = baseMillis;
        for (int i = 1; ; i++) {
            try {
                return op.run();
            } catch (TransientBackendException e) {
                if (i >= attempts) {
                    throw new IOException(what + " failed after " + attempts + " attempts: " + e.getMessage(), e);
                }
                long sleep = delay <= 0 ? 0 : ThreadLocalRandom.current().nextLong(delay / 2, delay + 1);
                log.debug("{} failed ({}), retry {} in {} ms", what, e.getMessage(), i, sleep);
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while retrying " + what);
                }
                delay = Math.min(maxMillis, delay * 2);
            }
        }
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        retry("put " + name, () -> {
            inner.put(name, data);
            return null;
        });
    }

    @Override
    public void putDeferred(String name, java.nio.ByteBuffer data) throws IOException {
        retry("put " + name, () -> {
            inner.putDeferred(name, data.duplicate());
            return null;
        });
    }

    @Override
    public void sync() throws IOException {
        retry("sync", () -> {
            inner.sync();
            return null;
        });
    }

    @Override
    public byte[] get(String name) throws IOException {
        return retry("get " + name, () -> inner.get(name));
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
        return retry("get " + name + " [" + offset + "+" + length + "]", () -> inner.getRange(name, offset, length));
    }

    @Override
    public void readRange(String name, long offset, int length, RangeReader reader) throws IOException {
        retry("get " + name + " [" + offset + "+" + length + "]", () -> {
            inner.readRange(name, offset, length, reader);
            return null;
        });
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        return retry("list " + prefix, () -> inner.list(prefix));
    }

    @Override
    public void delete(String name) throws IOException {
        retry("delete " + name, () -> {
            inner.delete(name);
            return null;
        });
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return retry("stat " + name, () -> inner.stat(name));
    }

    @Override
    public String location() {
        return inner.location();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
