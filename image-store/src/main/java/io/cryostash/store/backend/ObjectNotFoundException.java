// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.FileNotFoundException;

/** The named object does not exist. Never retried. */
public class ObjectNotFoundException extends FileNotFoundException {
    private final String objectName;

    public ObjectNotFoundException(String location, String objectName) {
        super("no object " + objectName + " in " + location);
        this.objectName = objectName;
    }

    public String objectName() {
        return objectName;
    }
}
