package io.cryostash.schema.catalog;

/**
 * A restore agent's report on a request for its host, sent to
 * {@code PUT /api/restores/{id}/status}: state RUNNING, COMPLETED or FAILED, the restored pid when
 * it has one, the error message when it failed.
 */
public record RestoreStatusReport(String state, Integer pid, String error) {
}
