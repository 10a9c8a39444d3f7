// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/** Threads of the chunk question, owned (and shut down) by Spring. */
@Configuration(proxyBeanMethods = false)
public class ChunkLookupConfig {

    static final String LOOKUPS = "chunkLookupExecutor";
    static final String FILTER_LOADER = "chunkFilterLoader";

    /** One thread per core: a large lookup is split into that many parts, each on its own connection. */
    @Bean(LOOKUPS)
    ThreadPoolTaskExecutor chunkLookupExecutor() {
        ThreadPoolTaskExecutor e = new ThreadPoolTaskExecutor();
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        e.setCorePoolSize(cores);
        e.setMaxPoolSize(cores);
        e.setThreadNamePrefix("chunk-lookup-");
        return e;
    }

    /** One thread: the filter's loads (seconds for 10 million keys) must not hold up lookups or the scheduler. */
    @Bean(FILTER_LOADER)
    ThreadPoolTaskExecutor chunkFilterLoader() {
        ThreadPoolTaskExecutor e = new ThreadPoolTaskExecutor();
        e.setCorePoolSize(1);
        e.setMaxPoolSize(1);
        e.setQueueCapacity(1);
        e.setThreadNamePrefix("chunk-filter-");
        e.setRejectedExecutionHandler(new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
        return e;
    }
}
