// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.time.Duration;

import io.cryostash.catalog.system.DatabaseOutageFilter;
import io.cryostash.catalog.system.DatabaseUnavailable;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.authentication.AuthenticationFailureHandler;

/**
 * A refused login: a browser goes back to the login page with the reason ({@code ?error} or
 * {@code ?throttled=seconds}); a program that asked for JSON gets a 401 or 429 problem. A login that
 * failed because the database cannot be reached is no refusal: 503 with Retry-After, as for every request.
 */
public class LoginFailureHandler implements AuthenticationFailureHandler {

    @Override
    public void onAuthenticationFailure(HttpServletRequest request, HttpServletResponse response,
                                        AuthenticationException exception) throws IOException {
        if (DatabaseUnavailable.is(exception)) {
            // The account could not be read: not a wrong password, and the person should try again, not retype it.
            DatabaseOutageFilter.answer(request, response, exception);
            return;
        }
        if (wantsJson(request)) {
            ProblemAuthenticationEntryPoint.write(response, 401, "Unauthorized", "Wrong user name or password", request);
        } else {
            response.sendRedirect(request.getContextPath() + "/login?error");
        }
    }

    void throttled(HttpServletRequest request, HttpServletResponse response, Duration wait) throws IOException {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        response.setHeader("Retry-After", String.valueOf(seconds));
        if (wantsJson(request)) {
            ProblemAuthenticationEntryPoint.write(response, 429, "Too many failed logins",
                    "Too many failed logins for this user name or from this address; try again in " + seconds + " s", request);
        } else {
            response.sendRedirect(request.getContextPath() + "/login?throttled=" + seconds);
        }
    }

    /** Browsers send Accept: text/html with a form; a client that asks for JSON only is a program. */
    private static boolean wantsJson(HttpServletRequest request) {
        String accept = request.getHeader("Accept");
        return accept != null && accept.contains("json") && !accept.contains("text/html");
    }
}
