// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.net.URI;
import java.util.List;

import jakarta.validation.ConstraintViolationException;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.MethodParameter;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/** Every error of the REST API as an RFC 7807 problem detail; validation problems listed under "errors". */
@RestControllerAdvice(annotations = org.springframework.web.bind.annotation.RestController.class)
public class ApiExceptionHandler extends ResponseEntityExceptionHandler {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, e.getMessage());
        p.setTitle("Not found");
        p.setType(URI.create("https://cryostash.io/problems/not-found"));
        return p;
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        p.setTitle("Conflict");
        p.setType(URI.create("https://cryostash.io/problems/conflict"));
        return p;
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        return validation(e.problems());
    }

    @ExceptionHandler(ConstraintViolationException.class)
    ProblemDetail constraint(ConstraintViolationException e) {
        return validation(e.getConstraintViolations().stream()
                .map(v -> v.getPropertyPath() + ": " + v.getMessage()).sorted().toList());
    }

    @ExceptionHandler(DataIntegrityViolationException.class)
    ProblemDetail integrity(DataIntegrityViolationException e) {
        if (dataException(e)) return valueTheDatabaseCannotStore();
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT,
                "The change conflicts with stored data: " + rootMessage(e));
        p.setTitle("Conflict");
        return p;
    }

    /**
     * A value PostgreSQL refused as data (SQLSTATE class 22: out of range, a character it cannot
     * store). Every input is checked before it gets there, naming its field; this is the net under
     * those checks, and it does not pass the database's message on.
     */
    @ExceptionHandler(org.springframework.dao.DataAccessException.class)
    ResponseEntity<ProblemDetail> dataAccess(org.springframework.dao.DataAccessException e) {
        if (DatabaseUnavailable.is(e)) return databaseUnavailable(e);
        if (dataException(e)) return ResponseEntity.status(HttpStatus.BAD_REQUEST).body(valueTheDatabaseCannotStore());
        log.error("Database access failed", e);
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "The catalog could not complete the request (database error; see its log)");
        p.setTitle("Internal error");
        return ResponseEntity.status(HttpStatus.INTERNAL_SERVER_ERROR).body(p);
    }

    /** No connection to the database (stopped, restarting, pool exhausted): 503, try again shortly. */
    @ExceptionHandler(org.springframework.transaction.CannotCreateTransactionException.class)
    ResponseEntity<ProblemDetail> databaseUnavailable(Exception e) {
        log.warn("The database cannot be reached ({}); answered 503", DatabaseOutageFilter.rootMessage(e));
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, DatabaseOutageFilter.UNAVAILABLE);
        p.setTitle("Service unavailable");
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, String.valueOf(DatabaseUnavailable.RETRY_AFTER_SECONDS)).body(p);
    }

    private static boolean dataException(Throwable t) {
        for (; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("22")) return true;
        }
        return false;
    }

    private static ProblemDetail valueTheDatabaseCannotStore() {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST,
                "A value in the request is out of range or holds a character the catalog cannot store");
        p.setTitle("Bad request");
        return p;
    }

    /** A body past its endpoint's limit, noticed while reading it (sent without a length). */
    @ExceptionHandler(RequestBodyTooLargeException.class)
    ProblemDetail tooLarge(RequestBodyTooLargeException e) {
        return payloadTooLarge(e);
    }

    private static ProblemDetail payloadTooLarge(RequestBodyTooLargeException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, e.getMessage());
        p.setTitle("Payload too large");
        p.setProperty("errors", List.of("body: " + e.getMessage()));
        return p;
    }

    @ExceptionHandler(AccessDeniedException.class)
    ProblemDetail denied(AccessDeniedException e) {
        var auth = SecurityContextHolder.getContext().getAuthentication();
        boolean anonymous = auth == null || auth instanceof AnonymousAuthenticationToken;
        HttpStatus status = anonymous ? HttpStatus.UNAUTHORIZED : HttpStatus.FORBIDDEN;
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, e.getMessage());
        p.setTitle(anonymous ? "Unauthorized" : "Forbidden");
        return p;
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badArgument(IllegalArgumentException e) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, e.getMessage());
        p.setTitle("Bad request");
        return p;
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> problems = ex.getBindingResult().getFieldErrors().stream()
                .map(f -> f.getField() + ": " + f.getDefaultMessage()).sorted().toList();
        List<String> global = ex.getBindingResult().getGlobalErrors().stream()
                .map(g -> g.getObjectName() + ": " + g.getDefaultMessage()).toList();
        var all = new java.util.ArrayList<>(problems);
        all.addAll(global);
        return ResponseEntity.unprocessableEntity().body(validation(all));
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        // "size: must be less than or equal to 500", not just the message: say which parameter.
        List<String> problems = ex.getParameterValidationResults().stream()
                .flatMap(r -> r.getResolvableErrors().stream().map(e -> parameterName(r.getMethodParameter()) + ": " + e.getDefaultMessage()))
                .sorted().toList();
        return ResponseEntity.unprocessableEntity().body(validation(problems));
    }

    /** The name the client used: the request parameter's or path variable's declared name, else the Java one. */
    private static String parameterName(MethodParameter p) {
        RequestParam rp = p.getParameterAnnotation(RequestParam.class);
        if (rp != null && !rp.name().isEmpty()) return rp.name();
        PathVariable pv = p.getParameterAnnotation(PathVariable.class);
        if (pv != null && !pv.name().isEmpty()) return pv.name();
        return p.getParameterName() == null ? "parameter " + p.getParameterIndex() : p.getParameterName();
    }

    /** A query parameter or path variable of the wrong type ("page=abc"): 400, naming it. */
    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String name = ex.getPropertyName() == null ? "parameter" : ex.getPropertyName();
        Class<?> type = ex.getRequiredType();
        String problem = name + ": must be " + (type == null ? "of another type"
                : type.isEnum() ? "one of " + java.util.Arrays.toString(type.getEnumConstants())
                : type == int.class || type == long.class || type == Integer.class || type == Long.class ? "a whole number"
                : type == java.time.Instant.class ? "an ISO-8601 time between 0001-01-01 and 9999-12-31 such as 2026-01-31T12:00:00Z"
                : type == java.time.LocalDate.class ? "a date between 0001-01-01 and 9999-12-31 such as 2026-01-31"
                : "a " + type.getSimpleName()) + ", not \"" + String.valueOf(ex.getValue()).replace("\0", "\\0") + "\"";
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, problem);
        p.setTitle("Bad request");
        p.setProperty("errors", List.of(problem));
        return ResponseEntity.badRequest().body(p);
    }

    /** A body that is not JSON, misses a required number, or has a value of the wrong type: 400, naming the field. */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof RequestBodyTooLargeException tooLarge) {
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(payloadTooLarge(tooLarge));
            }
        }
        String problem = UnreadableBody.describe(ex.getCause());
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, problem);
        p.setTitle("Unreadable request body");
        p.setType(URI.create("https://cryostash.io/problems/unreadable-body"));
        p.setProperty("errors", List.of(problem));
        return ResponseEntity.badRequest().body(p);
    }

    static ProblemDetail validation(List<String> problems) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_ENTITY,
                problems.size() == 1 ? problems.get(0) : problems.size() + " problems in the request");
        p.setTitle("Invalid request");
        p.setType(URI.create("https://cryostash.io/problems/invalid-request"));
        p.setProperty("errors", problems);
        return p;
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
