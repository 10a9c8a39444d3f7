// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;

/**
 * The whole catalog on a real (embedded) PostgreSQL and a real HTTP port. Every test class uses
 * exactly this, so Spring caches one context (one database) for the whole run; tests make their
 * own hosts and images with unique ids instead of cleaning up.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(classes = CatalogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureMockMvc
@ActiveProfiles("test")
@Import(FixturesConfig.class)
public @interface CatalogTest {
}
