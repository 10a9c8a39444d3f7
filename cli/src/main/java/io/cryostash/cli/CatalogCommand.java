// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.event.ContextClosedEvent;

import io.cryostash.catalog.CatalogLauncher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "catalog", description = "Run the catalog service (web catalog and REST API) until interrupted.")
final class CatalogCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "HTTP port (default: ${DEFAULT-VALUE}; 0: any)")
    int port;

    @Option(names = "--data-dir", paramLabel = "<dir>",
            description = "embedded PostgreSQL data directory (default: ~/.cryostash/catalog; for root /var/lib/cryostash/catalog)")
    Path dataDir;

    @Option(names = "--jdbc-url", paramLabel = "<url>",
            description = "use this PostgreSQL server instead of the embedded one")
    String jdbcUrl;

    @Override
    public Integer call() throws InterruptedException {
        ConfigurableApplicationContext ctx = CatalogLauncher.run(port, dataDir, jdbcUrl);
        CountDownLatch closed = new CountDownLatch(1);
        ctx.addApplicationListener(e -> {
            if (e instanceof ContextClosedEvent) {
                closed.countDown();
            }
        });
        ctx.registerShutdownHook();
        closed.await();
        return 0;
    }
}
