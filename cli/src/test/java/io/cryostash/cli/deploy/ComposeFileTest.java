// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import io.cryostash.catalog.CatalogProperties;
import io.cryostash.catalog.store.StoreProperties;
import io.cryostash.daemon.AgentSettings;

/**
 * docker-compose.yml cannot be run here (no Docker engine), so this reads it and checks it against
 * the code: the services, that the images are built from this repository, what the agent needs from
 * the host, every environment variable the agent, the broker command and the catalog read, and
 * that the ports agree (what a service listens on is what the others are told to connect to).
 */
class ComposeFileTest {
    static Map<String, Object> compose;
    static Path root;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws Exception {
        root = Path.of("").toAbsolutePath();
        while (!Files.exists(root.resolve("docker-compose.yml"))) root = root.getParent();
        try (Reader r = Files.newBufferedReader(root.resolve("docker-compose.yml"))) {
            compose = new Yaml().load(r);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(String name) {
        return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> env(String service) {
        Map<String, Object> e = (Map<String, Object>) service(service).get("environment");
        Map<String, String> out = new java.util.HashMap<>();
        e.forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    @SuppressWarnings("unchecked")
    static List<String> command(String service) {
        return (List<String>) service(service).get("command");
    }

    static String arg(String service, String flag) {
        List<String> c = command(service);
        return c.get(c.indexOf(flag) + 1);
    }

    /** The value compose would use when the variable is unset: {@code ${X:-default}} -> default. */
    static String withDefaults(String value) {
        Matcher m = Pattern.compile("\\$\\{[A-Z0-9_]+:-([^}]*)}").matcher(value);
        return m.replaceAll(r -> Matcher.quoteReplacement(r.group(1)));
    }

    @SuppressWarnings("unchecked")
    static List<String> published(String service) {
        List<String> out = new ArrayList<>();
        for (Object p : (List<Object>) service(service).getOrDefault("ports", List.of())) out.add(String.valueOf(p));
        return out;
    }

    /** Spring Boot's environment-variable form of a property name. */
    static String springEnv(String prefix, String camel) {
        return (prefix + "." + camel).replace("-", "").replace('.', '_').toUpperCase();
    }

    @Test
    @SuppressWarnings("unchecked")
    void namesEveryServiceAndBuildsOurImagesFromThisRepository() {
        assertThat(((Map<String, Object>) compose.get("services")).keySet()).containsExactlyInAnyOrder("minio", "kafka", "postgres",
                "catalog", "agent");
        for (String s : List.of("kafka", "catalog", "agent")) {
            Map<?, ?> build = (Map<?, ?>) service(s).get("build");
            assertThat(build).as(s + " is built here").isNotNull();
            assertThat(root.resolve(String.valueOf(build.get("context"))).resolve(String.valueOf(build.get("dockerfile")))).exists();
            assertThat(command(s).get(0)).as(s + " runs a cryostash command").isIn("kafka", "catalog", "agent");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theAgentGetsWhatPtraceAndProcNeed() {
        Map<String, Object> agent = service("agent");
        assertThat(agent.get("privileged")).isEqualTo(true);
        assertThat(agent.get("pid")).isEqualTo("host");
        assertThat((List<String>) agent.get("cap_add")).contains("SYS_PTRACE", "SYS_ADMIN", "CHECKPOINT_RESTORE");
        assertThat((List<String>) agent.get("security_opt")).contains("seccomp=unconfined");
    }

    @Test
    void theAgentIsGivenEverySettingItReads() throws Exception {
        List<String> names = new ArrayList<>();
        for (Field f : AgentSettings.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("ENV_")) {
                Object v = f.get(null);
                if (v instanceof String s) names.add(s);
                else if (v instanceof List<?> l) l.forEach(x -> names.add((String) x));
            }
        }
        assertThat(names).hasSizeGreaterThan(10);
        assertThat(env("agent").keySet()).containsAll(names);
    }

    @Test
    void theBrokerIsGivenItsCredentials() throws Exception {
        Class<?> kafka = Class.forName("io.cryostash.cli.KafkaCommand");
        for (Field f : kafka.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().startsWith("ENV_")) {
                f.setAccessible(true);
                assertThat(env("kafka")).containsKey((String) f.get(null));
            }
        }
    }

    @Test
    void theCatalogIsGivenTheStoreKafkaAndItsDatabase() {
        Map<String, String> env = env("catalog");
        for (RecordComponent c : StoreProperties.class.getRecordComponents()) {
            assertThat(env).as("store setting " + c.getName()).containsKey(springEnv("cryostash.catalog", c.getName()));
        }
        boolean admin = false;
        for (RecordComponent c : CatalogProperties.class.getRecordComponents()) admin |= c.getName().equals("adminPassword");
        assertThat(admin).isTrue();
        assertThat(env).containsKeys(springEnv("cryostash.catalog", "adminPassword"), "SPRING_KAFKA_BOOTSTRAPSERVERS",
                "SPRING_KAFKA_SECURITY_PROTOCOL", "SPRING_KAFKA_PROPERTIES_SASL_MECHANISM", "SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG",
                "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD");
        String jdbc = arg("catalog", "--jdbc-url");
        assertThat(jdbc).startsWith("jdbc:postgresql://postgres:5432/" + env("postgres").get("POSTGRES_DB"));
        assertThat(env.get("SPRING_DATASOURCE_USERNAME")).isEqualTo(env("postgres").get("POSTGRES_USER"));
    }

    @Test
    void portsAgreeBetweenWhatListensAndWhatConnects() {
        String catalogPort = arg("catalog", "--port");
        assertThat(published("catalog")).contains(catalogPort + ":" + catalogPort);
        assertThat(URI.create(withDefaults(env("agent").get("CRYOSTASH_CATALOG"))).getPort()).isEqualTo(Integer.parseInt(catalogPort));

        String kafkaPort = arg("kafka", "--port");
        assertThat(published("kafka")).contains(kafkaPort + ":" + kafkaPort);
        assertThat(env("catalog").get("SPRING_KAFKA_BOOTSTRAPSERVERS")).isEqualTo("kafka:" + kafkaPort);
        assertThat(withDefaults(env("agent").get("CRYOSTASH_KAFKA"))).endsWith(":" + kafkaPort);
        assertThat(env("catalog").get("SPRING_KAFKA_PROPERTIES_SASL_JAAS_CONFIG")).contains("ScramLoginModule");

        assertThat(published("minio")).contains("9000:9000");
        assertThat(URI.create(env("catalog").get("CRYOSTASH_CATALOG_S3ENDPOINT")).getPort()).isEqualTo(9000);
        assertThat(URI.create(withDefaults(env("agent").get("CRYOSTASH_S3_ENDPOINT"))).getPort()).isEqualTo(9000);
        assertThat(env("agent").get("CRYOSTASH_STORE")).isEqualTo(env("catalog").get("CRYOSTASH_CATALOG_STORE"));
    }
}
