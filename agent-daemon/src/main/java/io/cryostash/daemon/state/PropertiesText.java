// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.state;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Properties file text with the keys sorted (Properties.store writes them in hash order). */
public final class PropertiesText {
    private PropertiesText() {
    }

    public static String of(Map<String, String> values, String comment) {
        Properties p = new Properties();
        p.putAll(values);
        StringWriter w = new StringWriter();
        try {
            p.store(w, comment);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> head = new ArrayList<>();
        List<String> body = new ArrayList<>();
        for (String line : w.toString().split("\n")) {
            (line.startsWith("#") ? head : body).add(line);
        }
        body.sort(null);
        head.addAll(body);
        return String.join("\n", head) + "\n";
    }
}
