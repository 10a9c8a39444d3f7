// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The one thread that owns a set of tracees. The kernel accepts ptrace requests for a tracee
 * only from the thread that attached it, so a capture or restore submits all of its ptrace
 * work here.
 */
public final class Tracer implements AutoCloseable {
    private final ExecutorService thread;
    private final Ptrace ptrace = new Ptrace();

    public Tracer(String name) {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tracer-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code work} on the tracer thread and returns its result; exceptions come back unwrapped. */
    public <T> T call(Function<Ptrace, T> work) {
        Future<T> f = thread.submit(() -> work.apply(ptrace));
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the tracer thread", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    @Override
    public void close() {
        thread.shutdown();
    }
}
