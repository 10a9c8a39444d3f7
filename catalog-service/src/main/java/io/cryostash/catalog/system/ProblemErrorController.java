// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.servlet.ModelAndView;

/**
 * Every error no controller answered (no such method: 405, no such path: 404, an exception nothing
 * handled: 500, a request Spring Security's firewall refused: 400): a problem for the API and for
 * any client that does not ask for HTML, the error page for a browser on the web catalog. A 500
 * says nothing of its cause (that is in the log).
 */
@Controller
@RequestMapping("${server.error.path:/error}")
public class ProblemErrorController implements ErrorController {

    @RequestMapping(produces = MediaType.TEXT_HTML_VALUE)
    public ModelAndView page(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (originalUri(request).startsWith(request.getContextPath() + "/api/")) {
            problem(request, response);
            return null;
        }
        HttpStatus status = status(request);
        response.setStatus(status.value());
        return new ModelAndView("error", Map.of("status", status.value(), "error", status.getReasonPhrase(),
                "message", detail(request, status), "path", originalUri(request)), status);
    }

    @RequestMapping
    public void problem(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpStatus status = status(request);
        Problems.write(response, status.value(), status.getReasonPhrase(), detail(request, status), List.of(),
                originalUri(request));
    }

    private static HttpStatus status(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus s = code instanceof Integer i ? HttpStatus.resolve(i) : null;
        return s == null ? HttpStatus.INTERNAL_SERVER_ERROR : s;
    }

    private static String originalUri(HttpServletRequest request) {
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        return uri == null ? request.getRequestURI() : uri.toString();
    }

    private static String detail(HttpServletRequest request, HttpStatus status) {
        if (status.is5xxServerError()) return "The catalog failed to answer this request; the cause is in its log";
        Object message = request.getAttribute(RequestDispatcher.ERROR_MESSAGE);
        String m = message == null ? "" : message.toString().strip();
        if (!m.isEmpty()) return m;
        return switch (status) {
            case NOT_FOUND -> "No such resource: " + originalUri(request);
            case METHOD_NOT_ALLOWED -> request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI) + " does not take this method";
            case BAD_REQUEST -> "The request is malformed";
            default -> status.getReasonPhrase();
        };
    }
}
