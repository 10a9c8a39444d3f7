// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The one thread that owns a set of tracees, and the {@code cryostash-tracer} helper that makes
 * its ptrace calls ({@link TracerProcess}). A capture or restore submits all of its ptrace work
 * here, in order. If this JVM dies, the helper puts the capture's tracees back as they were
 * and lets them go (restore's, seized with PTRACE_O_EXITKILL, die). Closing the tracer stops
 * the helper; tracees still attached then are let go the same way.
 *
 * <p>{@code -Dcryostash.tracer=in-process} makes the calls from this JVM instead (the old way,
 * for comparisons): a JVM killed mid-capture can then leave the target broken.
 */
public final class Tracer implements AutoCloseable {
    private final ExecutorService thread;
    private final PtraceChannel channel;
    private final Ptrace ptrace;

    public Tracer(String name) {
        this.channel = "in-process".equals(System.getProperty("cryostash.tracer"))
                ? new InProcessChannel() : TracerProcess.start(name);
        this.ptrace = new Ptrace(channel);
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
        channel.close();
    }
}
