// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.dashboard;

import java.util.List;
import java.util.Map;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.restore.RestoreRepository;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.ResponseBody;

@Controller
@PreAuthorize("hasRole('VIEWER')")
public class DashboardController {

    private final JdbcClient jdbc;
    private final HostRepository hosts;
    private final RestoreRepository restores;

    public DashboardController(JdbcClient jdbc, HostRepository hosts, RestoreRepository restores) {
        this.jdbc = jdbc;
        this.hosts = hosts;
        this.restores = restores;
    }

    /** Totals over live images (not expired or deleted). */
    public record Totals(long images, long logicalBytes, long storedBytes, long chunks) {
    }

    /**
     * Per day: images captured, the logical and stored bytes of that day's images, and the running
     * totals of both up to that day (what the dedup-saving chart draws).
     */
    public record Day(String day, long images, long logicalBytes, long storedBytes, long dayLogicalBytes,
                      long dayStoredBytes) {
    }

    /**
     * A sum of bigints is a numeric in PostgreSQL and can pass what a long holds (registrations are
     * bounded, their number is not): the totals stop at the largest long instead of failing the page.
     */
    private static final String AT_MOST_A_LONG = "least(%s, 9223372036854775807)::bigint";

    private static String capped(String sum) {
        return AT_MOST_A_LONG.formatted(sum);
    }

    Totals totals() {
        return jdbc.sql("""
                        SELECT count(*), %s, %s, (SELECT count(*) FROM chunks)
                        FROM images WHERE state IN ('COMPLETE', 'UPLOADING')"""
                        .formatted(capped("coalesce(sum(logical_bytes), 0)"), capped("coalesce(sum(stored_bytes), 0)")))
                .query((rs, i) -> new Totals(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4))).single();
    }

    List<Day> days(int n) {
        return jdbc.sql("""
                        WITH d AS (
                            SELECT date_trunc('day', captured_at AT TIME ZONE 'UTC') AS day, count(*) AS images,
                                   sum(logical_bytes) AS logical, sum(stored_bytes) AS stored
                            FROM images WHERE state IN ('COMPLETE', 'UPLOADING')
                            GROUP BY 1)
                        SELECT * FROM (
                            SELECT to_char(day, 'YYYY-MM-DD') AS day, images,
                                   %s AS total_logical, %s AS total_stored, %s AS logical, %s AS stored
                            FROM d ORDER BY d.day DESC LIMIT ?) last ORDER BY day"""
                        .formatted(capped("sum(logical) OVER (ORDER BY day)"), capped("sum(stored) OVER (ORDER BY day)"),
                                capped("logical"), capped("stored")))
                .param(n)
                .query((rs, i) -> new Day(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6)))
                .list();
    }

    @GetMapping("/")
    public String dashboard(Model model) {
        model.addAttribute("totals", totals());
        model.addAttribute("days", days(60));
        model.addAttribute("online", hosts.onlineCount());
        model.addAttribute("hosts", hosts.findAll());
        model.addAttribute("restores", restores.find(null, null, null, 0, 10).items());
        return "dashboard";
    }

    @GetMapping(value = "/stats.json", produces = "application/json")
    @ResponseBody
    public Map<String, Object> stats() {
        return Map.of("totals", totals(), "days", days(60), "hosts", hosts.onlineCount());
    }
}
