// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.Writer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpStatus;

/**
 * Tomcat's own error answers (a request it could not parse, e.g. an invalid character in the request
 * target, or headers too large), which never reach the catalog's code: a problem in JSON instead of
 * Tomcat's HTML page, which also named the server's version.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) return;
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) return;
        HttpStatus s = HttpStatus.resolve(status);
        String title = s == null ? "Error " + status : s.getReasonPhrase();
        String detail = status >= 500 ? "The catalog's web server failed to answer this request"
                : "The web server refused the request before the catalog saw it: it is malformed (e.g. a character "
                + "that must be percent-encoded in the path or query, or headers that are too large)";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer w = response.getReporter();
            if (w != null) {
                w.write(Problems.json(status, title, detail, List.of(), null));
                response.finishResponse();
            }
        } catch (Exception e) {
            // Nothing more can be said to this client.
        }
    }
}
