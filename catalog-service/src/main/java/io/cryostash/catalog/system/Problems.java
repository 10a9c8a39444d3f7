// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

import jakarta.servlet.http.HttpServletResponse;

/**
 * RFC 7807 problem details written straight to a response, for answers given before (or outside)
 * Spring MVC: filters, the error page, Tomcat's own errors. Same shape as {@link ApiExceptionHandler}'s.
 */
public final class Problems {

    private Problems() {
    }

    /** The JSON text of a problem; {@code errors} lists "field: message" lines, or is empty. */
    public static String json(int status, String title, String detail, List<String> errors, String instance) {
        StringBuilder b = new StringBuilder("{\"type\":\"about:blank\",\"title\":\"").append(escape(title))
                .append("\",\"status\":").append(status)
                .append(",\"detail\":\"").append(escape(detail)).append('"');
        if (instance != null) b.append(",\"instance\":\"").append(escape(instance)).append('"');
        if (!errors.isEmpty()) {
            b.append(",\"errors\":[");
            for (int i = 0; i < errors.size(); i++) b.append(i == 0 ? "\"" : ",\"").append(escape(errors.get(i))).append('"');
            b.append(']');
        }
        return b.append('}').toString();
    }

    public static void write(HttpServletResponse response, int status, String title, String detail, List<String> errors,
                             String instance) throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        Writer w = response.getWriter();
        w.write(json(status, title, detail, errors, instance));
        w.flush();
    }

    static String escape(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c == 0x2028 || c == 0x2029) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }
}
