// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.util.HashMap;
import java.util.Map;

/**
 * How to reach the brokers. SASL (SCRAM-SHA-256 or -512, or PLAIN) when a user is given; plain
 * PLAINTEXT only when the user says so explicitly with {@code securityProtocol}.
 */
public record KafkaSettings(String bootstrap, String securityProtocol, String saslMechanism, String username,
                            String password) {

    public KafkaSettings {
        if (bootstrap == null || bootstrap.isBlank()) {
            throw new IllegalArgumentException("Kafka is not configured: give --kafka HOST:PORT, CRYOSTASH_KAFKA or"
                    + " kafka.bootstrap in the client config");
        }
        if (securityProtocol == null || securityProtocol.isBlank()) {
            securityProtocol = username == null ? null : "SASL_PLAINTEXT";
        }
        if (securityProtocol == null) {
            throw new IllegalArgumentException("Kafka " + bootstrap + ": no credentials (kafka.username/kafka.password)"
                    + " and no explicit kafka.security.protocol=PLAINTEXT; refusing to talk to a broker unauthenticated"
                    + " without being told to");
        }
        if (securityProtocol.startsWith("SASL") && (username == null || password == null)) {
            throw new IllegalArgumentException("Kafka security protocol " + securityProtocol + " needs kafka.username and"
                    + " kafka.password");
        }
        if (saslMechanism == null || saslMechanism.isBlank()) saslMechanism = "SCRAM-SHA-256";
    }

    /** Connection properties for producers, consumers and admin clients. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", bootstrap);
        p.put("security.protocol", securityProtocol);
        if (securityProtocol.startsWith("SASL")) {
            p.put("sasl.mechanism", saslMechanism);
            String module = saslMechanism.startsWith("SCRAM") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                    : "org.apache.kafka.common.security.plain.PlainLoginModule";
            p.put("sasl.jaas.config", module + " required username=\"" + escape(username) + "\" password=\""
                    + escape(password) + "\";");
        }
        return p;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public String toString() {
        return bootstrap + " (" + securityProtocol + (username == null ? "" : ", user " + username) + ")";
    }
}
