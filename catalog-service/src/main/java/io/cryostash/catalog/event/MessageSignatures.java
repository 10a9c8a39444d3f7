// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.store.KeyFingerprint;
import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.stereotype.Component;

/**
 * Who sent an agent-to-catalog message: the host named by its key, if header
 * {@link Topics#HEADER_SIGNATURE} is that host's Ed25519 signature (with the key it enrolled) over
 * the exact value bytes. Anything else is refused: no key, no or a bad signature, a host that never
 * enrolled a key, a type header that is not the topic's.
 */
@Component
public class MessageSignatures {

    private final HostRepository hosts;

    public MessageSignatures(HostRepository hosts) {
        this.hosts = hosts;
    }

    /** The verified sending host; throws {@link EventRefusedException} naming what is wrong. */
    public String verify(ConsumerRecord<String, byte[]> r, String expectedType) {
        String host = r.key();
        if (host == null || host.isBlank()) throw new EventRefusedException("message without a key (the reporting host's id)");
        String type = header(r, Topics.HEADER_TYPE);
        if (!expectedType.equals(type)) {
            throw new EventRefusedException("message of type " + type + " on " + r.topic() + ", which carries " + expectedType);
        }
        String signature = header(r, Topics.HEADER_SIGNATURE);
        if (signature == null) throw new EventRefusedException("unsigned message from host " + host);
        byte[] x509 = hosts.publicKey(host)
                .orElseThrow(() -> new EventRefusedException("message from host " + host + ", which has not enrolled a signing key"));
        if (!verifies(x509, r.value(), signature)) {
            throw new EventRefusedException("signature of a message from host " + host
                    + " does not verify with the key it enrolled (" + KeyFingerprint.of(x509) + ")");
        }
        return host;
    }

    /** Parses the enrolled key (X.509 SubjectPublicKeyInfo, Ed25519). */
    public static PublicKey publicKey(byte[] x509) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    static boolean verifies(byte[] x509, byte[] value, String base64Signature) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(publicKey(x509));
            s.update(value == null ? new byte[0] : value);
            return s.verify(Base64.getDecoder().decode(base64Signature.trim()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
