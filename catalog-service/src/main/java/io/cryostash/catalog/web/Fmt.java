// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.springframework.stereotype.Component;

/** Formatting helpers for templates: {@code ${@fmt.bytes(n)}}, {@code ${@fmt.time(t)}}. */
@Component("fmt")
public class Fmt {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    public String bytes(long n) {
        if (n < 1024) return n + " B";
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, v >= 100 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    public String time(Instant t) {
        return t == null ? "—" : TIME.format(t);
    }

    public String ago(Instant t) {
        if (t == null) return "never";
        Duration d = Duration.between(t, Instant.now());
        if (d.isNegative()) return "just now";
        if (d.toSeconds() < 60) return d.toSeconds() + " s ago";
        if (d.toMinutes() < 60) return d.toMinutes() + " min ago";
        if (d.toHours() < 48) return d.toHours() + " h ago";
        return d.toDays() + " days ago";
    }

    /** The current URL without its page parameter, ready for "page=N" to be appended. */
    public static String pageBase() {
        String u = org.springframework.web.servlet.support.ServletUriComponentsBuilder.fromCurrentRequest()
                .replaceQueryParam("page").build().toUriString();
        return u + (u.contains("?") ? "&" : "?");
    }

    public String percent(long part, long whole) {
        return whole == 0 ? "—" : String.format(java.util.Locale.ROOT, "%.1f %%", 100.0 * part / whole);
    }

    /** An address as /proc/PID/maps writes it (lower-case hex, at least 12 digits), unsigned. */
    public String hex(long address) {
        String h = Long.toHexString(address);
        return h.length() >= 12 ? h : "0".repeat(12 - h.length()) + h;
    }

    /**
     * The current URL with one list's page parameter set, jumping to that list's section (pagers of
     * one list among several on a page).
     */
    public String pageLink(String param, int page, String anchor) {
        return org.springframework.web.servlet.support.ServletUriComponentsBuilder.fromCurrentRequest()
                .replaceQueryParam(param, page).fragment(anchor).build().toUriString();
    }

    /** Open flags as fdinfo writes them (octal, leading 0). */
    public String octal(int flags) {
        return "0" + Integer.toOctalString(flags);
    }
}
