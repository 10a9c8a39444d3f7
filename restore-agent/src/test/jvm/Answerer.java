// SPDX-License-Identifier: Apache-2.0
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;

/**
 * A JVM job for Cryostash's round-trip tests (compiled by the test, run by an ordinary JVM):
 * {@code Answerer <dir> <live MiB>}. It keeps MiB of live data whose checksum must never
 * change, and runs worker threads that churn garbage (so the GC works) and count under one
 * monitor, each also counting its own increments; plus threads blocked in a queue take, an
 * Object.wait and a long sleep, and a scheduled ticker.
 *
 * <p>It answers through files named by its pid on the host ({@code /proc/self}, which a copy
 * restored into a PID namespace of its own still sees from outside): for each
 * {@code ask-<pid>-<n>} it runs a GC and writes {@code answer-<pid>-<n>}; {@code stop-<pid>}
 * makes it end every thread, join them and write {@code stopped-<pid>}.
 */
public final class Answerer {
    private static final int WORKERS = 24;
    private static final Object LOCK = new Object();
    private static long shared;                              // guarded by LOCK
    private static final long[] MINE = new long[WORKERS];   // guarded by LOCK
    private static final AtomicLong TICKS = new AtomicLong();
    private static volatile boolean stop;
    private static volatile String taken;
    private static boolean woken;                            // guarded by the monitor

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int mib = Integer.parseInt(args[1]);
        byte[][] live = new byte[mib][];
        for (int i = 0; i < mib; i++) {
            live[i] = new byte[1 << 20];
            new SplittableRandom(i).nextBytes(live[i]);
        }
        long liveSum = checksum(live);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            int k = i;
            threads.add(new Thread(() -> work(k), "worker-" + i));
        }
        BlockingQueue<String> queue = new LinkedBlockingQueue<>();
        threads.add(new Thread(() -> {
            try {
                taken = queue.take();
            } catch (InterruptedException e) {
                taken = "interrupted";
            }
        }, "taker"));
        Object monitor = new Object();
        threads.add(new Thread(() -> {
            synchronized (monitor) {
                while (!woken) {
                    try {
                        monitor.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }, "waiter"));
        Thread sleeper = new Thread(() -> {
            while (!stop) {
                try {
                    Thread.sleep(3_600_000);
                } catch (InterruptedException e) {
                    // stop
                }
            }
        }, "sleeper");
        threads.add(sleeper);
        threads.forEach(Thread::start);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        ticker.scheduleAtFixedRate(TICKS::incrementAndGet, 0, 5, TimeUnit.MILLISECONDS);
        write(dir, "ready", hostPid());
        while (true) {
            String me = hostPid();
            try (DirectoryStream<Path> asks = Files.newDirectoryStream(dir, "ask-" + me + "-*")) {
                for (Path ask : asks) {
                    System.gc();
                    long s;
                    long sum = 0;
                    synchronized (LOCK) {
                        s = shared;
                        for (long m : MINE) {
                            sum += m;
                        }
                    }
                    String answer = (s == sum && checksum(live) == liveSum ? "OK" : "BAD") + " shared=" + s
                            + " mine=" + sum + " live=" + (checksum(live) == liveSum) + " threads="
                            + Thread.getAllStackTraces().size() + " gcs=" + gcs() + " ticks=" + TICKS.get()
                            + " pid=" + ProcessHandle.current().pid();
                    write(dir, ask.getFileName().toString().replace("ask-", "answer-"), answer);
                    Files.delete(ask);
                }
            }
            if (Files.exists(dir.resolve("stop-" + me))) {
                stop = true;
                queue.put("item");
                synchronized (monitor) {
                    woken = true;
                    monitor.notifyAll();
                }
                sleeper.interrupt();
                ticker.shutdown();
                int joined = 0;
                for (Thread t : threads) {
                    t.join(10_000);
                    joined += t.isAlive() ? 0 : 1;
                }
                boolean tickerDone = ticker.awaitTermination(10, TimeUnit.SECONDS);
                write(dir, "stopped-" + me, (joined == threads.size() && tickerDone && "item".equals(taken) ? "OK"
                        : "BAD") + " joined=" + joined + " of " + threads.size() + " taken=" + taken);
                System.exit(0);
            }
            Thread.sleep(10);
        }
    }

    private static void work(int k) {
        SplittableRandom rnd = new SplittableRandom(k);
        List<byte[]> garbage = new ArrayList<>();
        long n = 0;
        while (!stop) {
            garbage.add(new byte[rnd.nextInt(1024, 65536)]);
            if (garbage.size() > 64) {
                garbage.clear();
            }
            synchronized (LOCK) {
                shared++;
                MINE[k]++;
            }
            if ((++n & 127) == 0) {
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    private static long checksum(byte[][] live) {
        CRC32C crc = new CRC32C();
        for (byte[] b : live) {
            crc.update(b);
        }
        return crc.getValue();
    }

    private static long gcs() {
        long n = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static String hostPid() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self")).toString();
    }

    private static void write(Path dir, String name, String text) throws IOException {
        Path tmp = dir.resolve("." + name + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    }
}
