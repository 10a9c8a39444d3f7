// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import io.cryostash.capture.memory.KeptBuffers;
import io.cryostash.cli.Cryostash;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves cryostash commands from this warm JVM to {@code cryostash-client} over a Unix socket,
 * so that a command costs the work it does, not a JVM's start, class loading and JIT (issue 14).
 * Only clients of this JVM's own user get an answer (the socket is 0600 in a 0700 directory,
 * and the peer's credentials are checked as well); each command runs on a thread of its own,
 * with the client's arguments, working directory and streams. A request the daemon does not
 * serve ({@link ServedCommands}), or any request once the build it runs from has been replaced,
 * is answered "not served" and the client runs the command in a JVM of its own.
 */
public final class CommandServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CommandServer.class);

    private final Path socket;
    private final ServerSocketChannel server;
    private final RoutedStreams streams;
    private final Map<String, String> ownEnv;
    private final String user = System.getProperty("user.name");
    private final Path code;
    private final FileTime codeTime;
    /** The checkout the code was built in, watched: the launcher asks this daemon before it checks the sources itself. */
    private final Optional<SourceWatch> sources;
    private final AtomicInteger served = new AtomicInteger();
    /**
     * The captures' copy buffers, kept from one command to the next up to 256 MiB (making them
     * costs 40 ms per 64 MiB); a larger process's go back to the system after its capture.
     */
    private final KeptBuffers copyBuffers = new KeptBuffers(256L << 20);

    private CommandServer(Path socket, ServerSocketChannel server, RoutedStreams streams, Map<String, String> ownEnv,
                          Path code) {
        this.socket = socket;
        this.server = server;
        this.streams = streams;
        this.ownEnv = ownEnv;
        this.code = code;
        this.codeTime = modified(code);
        this.sources = code == null ? Optional.empty() : SourceWatch.of(code, codeTime);
    }

    /** The socket a daemon of this CRYOSTASH_HOME listens on (the launcher looks for it there too). */
    public static Path defaultSocket(Map<String, String> env) {
        String home = env.get("CRYOSTASH_HOME");
        Path dir = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".cryostash");
        return dir.resolve("run").resolve("cli.sock");
    }

    /**
     * Listens on {@code socket}. Refuses when another daemon answers there; a socket file left
     * by one that died is replaced. Installs the routing of System.out/err (once per JVM).
     */
    public static CommandServer bind(Path socket, Map<String, String> ownEnv) throws IOException {
        Path dir = socket.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        if (Files.exists(socket)) {
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                throw new IllegalStateException("another cryostash daemon serves " + socket + " already");
            } catch (IOException stale) {
                Files.delete(socket); // nothing answers: left by a daemon that died
            }
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            Path code;
            try {
                code = Path.of(CommandServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (java.net.URISyntaxException | RuntimeException e) {
                code = null;
            }
            return new CommandServer(socket, ch, RoutedStreams.install(), Map.copyOf(ownEnv), code);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path socket() {
        return socket;
    }

    /** {@link Training} with the trainee found beside this daemon's code, if any. */
    Optional<Training> training(int rounds) {
        return Training.traineeBeside(code).map(t -> new Training(t, streams, copyBuffers, rounds));
    }

    /** Accepts clients until {@link #close}; each is served on a thread of its own. */
    public void serve() throws IOException {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException closed) {
                return;
            }
            Thread t = new Thread(() -> session(client), "cryostash-client-" + served.incrementAndGet());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Starts {@link #serve} on a daemon thread of its own (the tests serve from their own JVM this way). */
    public CommandServer serveInBackground() {
        Thread t = new Thread(() -> {
            try {
                serve();
            } catch (IOException e) {
                log.warn("the command socket {} stopped: {}", socket, e.getMessage());
            }
        }, "cryostash-command-server");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /**
     * Starts {@link Training} on a thread of its own (the daemon serves meanwhile); its outcome
     * goes to the daemon's log.
     */
    public void trainInBackground() {
        Optional<Training> training = training(Training.ROUNDS);
        if (training.isEmpty()) {
            log.warn("no cryostash-trainee beside {}: not trained, the first commands run slower", code);
            return;
        }
        Thread t = new Thread(() -> log.info("{}", training.get().run()), "cryostash-daemon-training");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    private void session(SocketChannel client) {
        try (client) {
            Optional<String> stranger = stranger(client);
            if (stranger.isPresent()) {
                log.warn("refused a client on {}: {}", socket, stranger.get());
                return;
            }
            InputStream in = Channels.newInputStream(client);
            ClientRequest request = ClientRequest.read(in);
            ReplyFrames reply = new ReplyFrames(client);
            if (code != null && !modified(code).equals(codeTime)) {
                byte[] say = ("cryostash: the daemon on " + socket + " runs an older build than this one; the command runs"
                        + " on its own (restart the daemon)\n").getBytes(StandardCharsets.UTF_8);
                reply.send(ReplyFrames.ERR, say, 0, say.length);
                reply.notServed();
                return;
            }
            Optional<String> changed = sources.map(SourceWatch::changed);
            if (changed.isPresent()) {
                byte[] say = ("cryostash: the daemon on " + socket + " does not serve this checkout any more ("
                        + changed.get() + "); the command runs on its own (restart the daemon)\n")
                        .getBytes(StandardCharsets.UTF_8);
                reply.send(ReplyFrames.ERR, say, 0, say.length);
                reply.notServed(); // the launcher then checks the sources itself, and rebuilds if need be
                return;
            }
            Optional<String> refusal = ServedCommands.refusal(request, ownEnv);
            if (refusal.isPresent()) {
                log.debug("not served: {}", refusal.get());
                reply.notServed();
                return;
            }
            reply.started();
            run(request, reply, in);
        } catch (IOException e) {
            log.warn("a client of {} broke off: {}", socket, e.getMessage());
        }
    }

    private void run(ClientRequest request, ReplyFrames reply, InputStream in) {
        ClientCaller caller = new ClientCaller(request.cwd());
        // the client sends nothing after its request: the end of its stream is its hang-up
        Thread watch = new Thread(() -> {
            try {
                if (in.read() < 0) {
                    caller.hangUp();
                }
            } catch (IOException closedAfterTheCommand) {
                // the command ended and its connection was closed
            }
        }, Thread.currentThread().getName() + "-hangup");
        watch.setDaemon(true);
        watch.start();
        PrintStream out = new PrintStream(reply.stream(ReplyFrames.OUT), true);
        PrintStream err = new PrintStream(reply.stream(ReplyFrames.ERR), true);
        long t0 = System.nanoTime();
        int status;
        try (AutoCloseable routed = streams.use(out, err)) {
            status = Cryostash.run(caller, copyBuffers, request.args().toArray(String[]::new));
        } catch (Throwable t) {
            // picocli reports a command's exceptions itself; this is what escapes it (an Error)
            err.println("cryostash: the daemon failed running the command: " + t);
            err.flush();
            status = 70;
        }
        reply.exit(status);
        String command = request.args().stream().filter(a -> !a.startsWith("-")).findFirst().orElse("(help)");
        log.info("served {} in {} ms, exit status {}", command, (System.nanoTime() - t0) / 1_000_000, status);
    }

    /** Why the peer may not use this daemon, or empty when it runs as this JVM's user. */
    private Optional<String> stranger(SocketChannel client) throws IOException {
        UnixDomainPrincipal peer = client.getOption(ExtendedSocketOptions.SO_PEERCRED);
        String name = peer.user().getName();
        return name.equals(user) ? Optional.empty() : Optional.of("user " + name + " is not " + user);
    }

    private static FileTime modified(Path p) {
        try {
            return p == null ? FileTime.fromMillis(0) : Files.getLastModifiedTime(p);
        } catch (IOException gone) {
            return FileTime.fromMillis(-1);
        }
    }

    /** Stops accepting and removes the socket; commands in flight run to their end. */
    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
