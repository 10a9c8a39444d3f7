// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A back end that misbehaves on purpose, by name, like MockWebServer's SocketPolicy. Faults
 * apply to operations on objects whose names match the filter and are armed for a number of
 * occurrences (then the back end behaves again), which is how the tests tell "retried and
 * recovered" from "gave up".
 */
public final class FaultyBackend implements Backend {

    /** The faults that can be armed. */
    public enum Fault {
        /** put throws a transient error without storing anything. */
        FAIL_ON_PUT,
        /** put stores the object, then throws a transient error (the reply was lost). */
        FAIL_AFTER_PUT,
        /** put throws a permanent (non-transient) error. */
        FAIL_ON_PUT_PERMANENTLY,
        /** get and getRange throw a transient error. */
        FAIL_ON_GET,
        /** get and getRange return the data without its last byte. */
        TRUNCATE_ON_GET,
        /** get and getRange return the data with one byte flipped in the middle. */
        CORRUPT_ON_GET,
        /** list throws a transient error. */
        FAIL_ON_LIST,
    }

    private final Backend inner;
    private volatile Fault fault;
    private volatile Predicate<String> filter = n -> true;
    private final AtomicInteger remaining = new AtomicInteger();
    private final AtomicInteger triggered = new AtomicInteger();

    public FaultyBackend(Backend inner) {
        this.inner = inner;
    }

    /** Arms {@code fault} for the next {@code times} matching operations. */
    public FaultyBackend arm(Fault fault, int times, Predicate<String> names) {
        this.filter = names;
        this.remaining.set(times);
        this.fault = fault;
        return this;
    }

    public FaultyBackend arm(Fault fault, int times) {
        return arm(fault, times, n -> true);
    }

    public void disarm() {
        fault = null;
    }

    /** How many times a fault fired. */
    public int triggered() {
        return triggered.get();
    }

    private boolean fire(String name, Fault... kinds) {
        Fault f = fault;
        if (f == null || !Arrays.asList(kinds).contains(f) || !filter.test(name)) {
            return false;
        }
        if (remaining.getAndDecrement() <= 0) {
            return false;
        }
        triggered.incrementAndGet();
        return true;
    }

    private byte[] damage(String name, byte[] data) {
        if (fire(name, Fault.TRUNCATE_ON_GET) && data.length > 0) {
            return Arrays.copyOf(data, data.length - 1);
        }
        Fault f = fault;
        if (f == Fault.CORRUPT_ON_GET && data.length > 0 && fire(name, Fault.CORRUPT_ON_GET)) {
            byte[] d = data.clone();
            d[d.length / 2] ^= 0x5a;
            return d;
        }
        return data;
    }

    @Override
    public void put(String name, byte[] data) throws IOException {
        if (fire(name, Fault.FAIL_ON_PUT)) {
            throw new TransientBackendException("injected FAIL_ON_PUT " + name);
        }
        if (fire(name, Fault.FAIL_ON_PUT_PERMANENTLY)) {
            throw new IOException("injected FAIL_ON_PUT_PERMANENTLY " + name);
        }
        inner.put(name, data);
        if (fire(name, Fault.FAIL_AFTER_PUT)) {
            throw new TransientBackendException("injected FAIL_AFTER_PUT " + name);
        }
    }

    @Override
    public byte[] get(String name) throws IOException {
        if (fire(name, Fault.FAIL_ON_GET)) {
            throw new TransientBackendException("injected FAIL_ON_GET " + name);
        }
        return damage(name, inner.get(name));
    }

    @Override
    public byte[] getRange(String name, long offset, int length) throws IOException {
        if (fire(name, Fault.FAIL_ON_GET)) {
            throw new TransientBackendException("injected FAIL_ON_GET " + name);
        }
        return damage(name, inner.getRange(name, offset, length));
    }

    @Override
    public List<ObjectInfo> list(String prefix) throws IOException {
        if (fire(prefix, Fault.FAIL_ON_LIST)) {
            throw new TransientBackendException("injected FAIL_ON_LIST " + prefix);
        }
        return inner.list(prefix);
    }

    @Override
    public void delete(String name) throws IOException {
        inner.delete(name);
    }

    @Override
    public Optional<ObjectInfo> stat(String name) throws IOException {
        return inner.stat(name);
    }

    @Override
    public String location() {
        return "faulty:" + inner.location();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
