// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.util.List;

/** Well-formed but unacceptable input, with one message per problem ("field: message"): 422. */
public class InvalidRequestException extends RuntimeException {
    private final List<String> problems;

    public InvalidRequestException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public InvalidRequestException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
