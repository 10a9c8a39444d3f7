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
import org.springframework.test.context.ContextConfiguration;

/**
 * The whole catalog with the event pipeline: embedded PostgreSQL (its own data directory, beside
 * the {@link CatalogTest} one), a real Kafka broker and a real S3 server in this JVM, shared by every
 * class with this annotation ({@link PipelineInfrastructure}). Retries are short so that a dead
 * letter arrives in a second.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@SpringBootTest(classes = CatalogApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "cryostash.catalog.data-dir=target/test-catalog-pipeline",
        "cryostash.catalog.kafka.retries=2",
        "cryostash.catalog.kafka.backoff=100ms",
        "cryostash.catalog.kafka.max-backoff=200ms",
        "cryostash.catalog.kafka.send-timeout=3s",
        "cryostash.catalog.schedule-check-delay=200",
        "logging.level.org.apache.kafka=WARN",
        "logging.level.org.springframework.kafka=WARN"})
@AutoConfigureMockMvc
@ActiveProfiles("test")
@Import({FixturesConfig.class, PipelineFixturesConfig.class})
@ContextConfiguration(initializers = PipelineInfrastructure.class)
public @interface PipelineTest {
}
