// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Properties;

/**
 * The embedded database's passwords, generated at the first start and kept in one file that only the
 * catalog's user can read (mode 600, refused when it is any wider). The database never sees the
 * file: it knows only the SCRAM verifiers made from these passwords.
 *
 * @param superuser the bootstrap superuser {@code postgres}: role upkeep and the shutdown checkpoint
 * @param owner     {@value DatabaseRoles#OWNER}: owns the schema, runs the migrations
 * @param app       {@value DatabaseRoles#APP}: what the catalog's requests run as
 */
record DatabaseSecrets(String superuser, String owner, String app) {

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /** The passwords in {@code file}, or new ones written to it when it does not exist. */
    static DatabaseSecrets loadOrCreate(Path file) throws IOException {
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            FileSafety.requirePrivateFile(file);
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            }
            DatabaseSecrets s = new DatabaseSecrets(p.getProperty("superuser"), p.getProperty("owner"), p.getProperty("app"));
            if (valid(s.superuser) && valid(s.owner) && valid(s.app)) return s;
            throw new IllegalStateException(file + " does not hold the three database passwords (superuser, owner, app); "
                    + "delete it and the catalog sets new ones at its next start");
        }
        SecureRandom random = new SecureRandom();
        DatabaseSecrets s = new DatabaseSecrets(generate(random), generate(random), generate(random));
        Path tmp = Files.createTempFile(file.getParent(), ".database-passwords-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Properties p = new Properties();
            p.setProperty("superuser", s.superuser);
            p.setProperty("owner", s.owner);
            p.setProperty("app", s.app);
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, "Cryostash catalog: passwords of the embedded PostgreSQL (keep this file mode 600)");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return s;
    }

    /** 32 letters and digits (190 bits): nothing to quote in SQL or on a command line. */
    private static String generate(SecureRandom random) {
        StringBuilder b = new StringBuilder(32);
        for (int i = 0; i < 32; i++) b.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        return b.toString();
    }

    private static boolean valid(String password) {
        return password != null && password.length() >= 16 && password.chars().allMatch(c -> ALPHABET.indexOf(c) >= 0);
    }

    @Override
    public String toString() {
        return "DatabaseSecrets[hidden]";
    }
}
