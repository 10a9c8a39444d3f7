// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.schema.catalog.ChunkQuery;
import io.cryostash.schema.catalog.ChunkQueryResult;
import io.cryostash.schema.catalog.ChunkRef;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/chunks")
@Tag(name = "chunks", description = "Dedup: which chunks the store already has")
public class ChunkController {

    /** Keys of the binary query: SHA-256, as the store makes them. */
    public static final int BINARY_KEY_BYTES = 32;
    private static final HexFormat HEX = HexFormat.of();
    private final ChunkLookup lookup;

    public ChunkController(ChunkLookup lookup) {
        this.lookup = lookup;
    }

    @PostMapping(path = "/query", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    @PreAuthorize("hasAnyRole('AGENT', 'VIEWER')")
    @Operation(summary = "Which of these chunk keys (hex) does the store have? At most 100,000 keys")
    public ChunkQueryResult query(@RequestBody ChunkQuery q) {
        if (q.keys() == null) throw new InvalidRequestException("keys: is required");
        if (q.keys().size() > ChunkQuery.MAX_KEYS) throw new InvalidRequestException("keys: at most " + ChunkQuery.MAX_KEYS);
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < q.keys().size() && bad.size() < 20; i++) {
            if (!ChunkRef.isValidKey(q.keys().get(i))) bad.add("keys[" + i + "]: must be 32 to 128 lower-case hex digits");
        }
        if (!bad.isEmpty()) throw new InvalidRequestException(bad);
        byte[][] keys = new byte[q.keys().size()][];
        for (int i = 0; i < keys.length; i++) keys[i] = HEX.parseHex(q.keys().get(i));
        boolean[] known = lookup.known(keys);
        List<String> k = new ArrayList<>();
        List<String> m = new ArrayList<>();
        for (int i = 0; i < keys.length; i++) (known[i] ? k : m).add(q.keys().get(i));
        return new ChunkQueryResult(k, m);
    }

    /**
     * The same question without JSON: the body is the raw 32-byte keys one after another, the answer
     * one bit per key in query order, set when the store has it (key i is bit {@code i % 8}, counted
     * from the least significant, of byte {@code i / 8}).
     */
    @PostMapping(path = "/query", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE,
            produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @PreAuthorize("hasAnyRole('AGENT', 'VIEWER')")
    @Operation(summary = "Binary chunk query: body = raw 32-byte keys back to back (at most 100,000), "
            + "answer = one bit per key, set when the store has it (key i: bit i % 8 of byte i / 8, least significant first)")
    public byte[] queryBinary(HttpServletRequest request) throws IOException {
        // Read at most one byte more than the largest query allows, whatever the body's length.
        byte[] body = request.getInputStream().readNBytes(ChunkQuery.MAX_KEYS * BINARY_KEY_BYTES + 1);
        int n = body.length;
        if (n == 0) throw new InvalidRequestException("body: must hold at least one 32-byte key");
        if (n > ChunkQuery.MAX_KEYS * BINARY_KEY_BYTES) {
            throw new InvalidRequestException("body: more than " + ChunkQuery.MAX_KEYS + " keys; split the query");
        }
        if (n % BINARY_KEY_BYTES != 0) {
            throw new InvalidRequestException("body: " + n + " bytes is not a whole number of 32-byte keys (raw SHA-256, not hex)");
        }
        byte[][] keys = new byte[n / BINARY_KEY_BYTES][];
        for (int i = 0; i < keys.length; i++) keys[i] = java.util.Arrays.copyOfRange(body, i * BINARY_KEY_BYTES, (i + 1) * BINARY_KEY_BYTES);
        boolean[] known = lookup.known(keys);
        byte[] bits = new byte[(keys.length + 7) / 8];
        for (int i = 0; i < keys.length; i++) if (known[i]) bits[i >>> 3] |= (byte) (1 << (i & 7));
        return bits;
    }
}
