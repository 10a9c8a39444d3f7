// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.catalog.outbox.OutboxRelay;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Entry point for {@code cryostash catalog [--port N] [--data-dir DIR] [--jdbc-url URL]}: starts the
 * catalog in this JVM and prints its URL. The CLI calls {@link #run}; the context stays up until it
 * is closed (or the JVM exits).
 */
public final class CatalogLauncher {

    private CatalogLauncher() {
    }

    /**
     * @param port    HTTP port, 0 for any free one
     * @param dataDir directory for the embedded PostgreSQL, or null for ~/.cryostash/catalog
     *                (/var/lib/cryostash/catalog for root: see EmbeddedDatabaseConfig)
     * @param jdbcUrl a PostgreSQL JDBC URL to use instead of the embedded database, or null
     *                (user and password then come from {@code spring.datasource.*} / environment)
     */
    public static ConfigurableApplicationContext run(int port, Path dataDir, String jdbcUrl, String... extraArgs) {
        return run(port, dataDir, jdbcUrl, null, extraArgs);
    }

    /**
     * As {@link #run(int, Path, String, String...)}, with a publisher that the outbox relay hands every
     * event to (e.g. a Kafka producer sending {@code event.payload()} to {@code event.topic()} with key
     * {@code event.key()}); null leaves events in the outbox table.
     */
    public static ConfigurableApplicationContext run(int port, Path dataDir, String jdbcUrl,
                                                     OutboxRelay.OutboxPublisher publisher, String... extraArgs) {
        // As command-line arguments, these win over application.properties and the environment.
        List<String> args = new ArrayList<>();
        args.add("--server.port=" + port);
        if (dataDir != null) args.add("--cryostash.catalog.data-dir=" + dataDir.toAbsolutePath());
        if (jdbcUrl != null && !jdbcUrl.isBlank()) args.add("--spring.datasource.url=" + jdbcUrl);
        args.addAll(List.of(extraArgs));
        SpringApplication app = new SpringApplication(CatalogApplication.class);
        if (publisher != null) {
            app.addInitializers(c -> c.getBeanFactory().registerSingleton("outboxPublisher", publisher));
        }
        ConfigurableApplicationContext ctx = app.run(args.toArray(String[]::new));
        System.out.println("Cryostash catalog: " + url(ctx));
        return ctx;
    }

    /** The base URL a running catalog answers on. */
    public static String url(ConfigurableApplicationContext ctx) {
        int actual = ((WebServerApplicationContext) ctx).getWebServer().getPort();
        return "http://localhost:" + actual + "/";
    }

    public static void main(String[] args) {
        int port = 8080;
        Path dataDir = null;
        String jdbc = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--port" -> port = Integer.parseInt(args[++i]);
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                case "--jdbc-url" -> jdbc = args[++i];
                default -> rest.add(args[i]);
            }
        }
        run(port, dataDir, jdbc, rest.toArray(String[]::new));
    }
}
