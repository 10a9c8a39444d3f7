package io.cryostash.catalog.image;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.schema.catalog.ChunkQuery;
import io.cryostash.schema.catalog.ChunkQueryResult;
import io.cryostash.schema.catalog.ChunkRef;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/chunks")
@Tag(name = "chunks", description = "Dedup: which chunks the store already has")
public class ChunkController {

    private final ImageRepository images;

    public ChunkController(ImageRepository images) {
        this.images = images;
    }

    @PostMapping("/query")
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
        Set<String> known = new HashSet<>(images.knownChunks(q.keys()));
        List<String> k = new ArrayList<>();
        List<String> m = new ArrayList<>();
        for (String key : q.keys()) (known.contains(key) ? k : m).add(key);
        return new ChunkQueryResult(k, m);
    }
}
