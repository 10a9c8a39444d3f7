// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * One thread of the frozen process, as the image page lists it. The registers stay in the
 * manifest ({@code ThreadState}); the catalog only says which threads there were.
 *
 * @param tid   thread id at capture ({@code ThreadState.tid})
 * @param name  the thread's comm (/proc/PID/task/TID/comm), or null when the agent did not read it
 * @param state what the thread was doing when frozen (e.g. "running", "in syscall"), or null
 */
public record ThreadSummary(int tid, String name, String state) {

    public List<String> problems(String path) {
        List<String> out = new ArrayList<>();
        TextChecks.between(out, path + ".tid", tid, 1, ProcessSummary.MAX_PID);
        if (name != null && name.length() > 64) out.add(path + ".name: at most 64 characters");
        if (state != null && state.length() > 64) out.add(path + ".state: at most 64 characters");
        TextChecks.noNul(out, path + ".name", name);
        TextChecks.noNul(out, path + ".state", state);
        return out;
    }
}
