// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

/** A named thing does not exist: 404 (also for web pages). */
@org.springframework.web.bind.annotation.ResponseStatus(org.springframework.http.HttpStatus.NOT_FOUND)
public class NotFoundException extends RuntimeException {
    private final String kind;
    private final String id;

    public NotFoundException(String kind, String id) {
        super("No " + kind + " with id " + id);
        this.kind = kind;
        this.id = id;
    }

    public String kind() {
        return kind;
    }

    public String id() {
        return id;
    }
}
