// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.scheduling.annotation.EnableScheduling;

/** The catalog service: REST API, web catalog, PostgreSQL (embedded unless a JDBC URL is given). */
@SpringBootApplication
@EnableConfigurationProperties({CatalogProperties.class, io.cryostash.catalog.store.StoreProperties.class,
        io.cryostash.catalog.gc.GcSettings.class})
@EnableScheduling
public class CatalogApplication {
    public static void main(String[] args) {
        SpringApplication.run(CatalogApplication.class, args);
    }
}
