// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.cryostash.catalog.system.Page;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.*;
import tools.jackson.databind.json.JsonMapper;

@RestController
@RequestMapping("/api/audit")
@Tag(name = "audit", description = "Who did what, when, from where")
@PreAuthorize("hasRole('VIEWER')")
public class AuditController {

    private final AuditRepository audit;
    private final JsonMapper json;
    private final AuditStatus status;
    private final AuditChainer chainer;
    private final AuditAnchors anchors;

    public AuditController(AuditRepository audit, JsonMapper json, AuditStatus status, AuditChainer chainer,
                           AuditAnchors anchors) {
        this.audit = audit;
        this.json = json;
        this.status = status;
        this.chainer = chainer;
        this.anchors = anchors;
    }

    @GetMapping
    @Operation(summary = "Audit entries, newest first; action matches as a prefix (e.g. 'restore.')")
    public Page<AuditEntry> list(@RequestParam(required = false) String actor,
                                 @RequestParam(required = false) String action,
                                 @RequestParam(required = false) String targetType,
                                 @RequestParam(required = false) String targetId,
                                 @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant from,
                                 @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant to,
                                 @RequestParam(defaultValue = "0") @Min(0) int page,
                                 @RequestParam(defaultValue = "50") @Min(1) @Max(1000) int size) {
        return audit.find(new AuditFilter(actor, action, targetType, targetId, from, to), page, size);
    }

    @PostMapping("/verify")
    @Operation(summary = "Check the audit chain now: every link, every entry's hash, unlinked entries, and the signed "
            + "anchors in the store; valid=false lists each problem (edited, deleted, inserted rows, rewritten chain)")
    public ChainVerification verify() {
        return status.checkNow();
    }

    @GetMapping("/verify")
    @Operation(summary = "The last check of the audit chain (scheduled or asked for); 404 before the first")
    public ChainVerification lastVerification() {
        ChainVerification v = status.last();
        if (v == null) throw new io.cryostash.catalog.system.NotFoundException("audit chain check", "last");
        return v;
    }

    @PostMapping("/anchors")
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Anchor the chain's head in the store now (signed by the catalog); 204 when there is nothing new "
            + "to anchor or no store")
    public org.springframework.http.ResponseEntity<AuditAnchors.Anchor> anchor() {
        chainer.chain();
        return anchors.anchorHead().map(org.springframework.http.ResponseEntity::ok)
                .orElseGet(() -> org.springframework.http.ResponseEntity.noContent().build());
    }

    @GetMapping("/export")
    @Operation(summary = "Every matching entry, oldest first, as CSV (format=csv) or a JSON array (format=json)")
    @Transactional(readOnly = true)
    public void export(@RequestParam(defaultValue = "csv") String format,
                       @RequestParam(required = false) String actor,
                       @RequestParam(required = false) String action,
                       @RequestParam(required = false) String targetType,
                       @RequestParam(required = false) String targetId,
                       @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant from,
                       @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant to,
                       HttpServletResponse response) throws IOException {
        AuditFilter f = new AuditFilter(actor, action, targetType, targetId, from, to);
        boolean csv = switch (format) {
            case "csv" -> true;
            case "json" -> false;
            default -> throw new IllegalArgumentException("format must be csv or json");
        };
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.setContentType(csv ? "text/csv" : "application/json");
        response.setHeader("Content-Disposition", "attachment; filename=\"cryostash-audit." + format + "\"");
        Writer w = response.getWriter();
        if (csv) {
            w.write("id,at,actor,actor_kind,action,target_type,target_id,remote_addr,details,chain_seq,chain_hash\r\n");
            audit.forEach(f, e -> write(w, String.join(",", String.valueOf(e.id()), e.at().toString(), csv(e.actor()),
                    e.actorKind(), csv(e.action()), csv(e.targetType()), csv(e.targetId()), csv(e.remoteAddr()),
                    csv(e.details()), e.chainSeq() == null ? "" : e.chainSeq().toString(),
                    e.chainHash() == null ? "" : e.chainHash()) + "\r\n"));
        } else {
            w.write("[");
            boolean[] first = {true};
            audit.forEach(f, e -> {
                write(w, (first[0] ? "" : ",\n") + json.writeValueAsString(new ExportedEntry(e.id(), e.at(), e.actor(),
                        e.actorKind(), e.action(), e.targetType(), e.targetId(), e.remoteAddr(),
                        json.readTree(e.details()), e.details(), e.chainSeq(), e.chainHash())));
                first[0] = false;
            });
            w.write("]\n");
        }
        w.flush();
    }

    /** {@code detailsText}: the exact text the chain's hash covers ({@code details} re-serialised may order keys otherwise). */
    record ExportedEntry(long id, Instant at, String actor, String actorKind, String action, String targetType,
                         String targetId, String remoteAddr, Object details, String detailsText, Long chainSeq,
                         String chainHash) {
    }

    /** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so spreadsheets do not run it as a formula. */
    static String csv(String s) {
        if (s == null) return "";
        if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0) s = "'" + s;
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    private static void write(Writer w, String s) {
        try {
            w.write(s);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
