// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * A restore agent's report on a request for its host, sent to
 * {@code PUT /api/restores/{id}/status}: state RUNNING, COMPLETED or FAILED, the restored pid when
 * it has one, the error message when it failed. The catalog keeps the first 4,000 characters of a
 * longer error (a failure report must not be lost because its message is long).
 */
public record RestoreStatusReport(String state, Integer pid, String error) {

    /** Linux's largest pid (PID_MAX_LIMIT on 64-bit). */
    public static final int MAX_PID = 4_194_304;

    /** Everything wrong with the fields' values, one line per problem ("field: message"); empty when valid. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        if (pid != null && (pid < 1 || pid > MAX_PID)) out.add("pid: must be between 1 and " + MAX_PID + " (is " + pid + ")");
        return out;
    }
}
