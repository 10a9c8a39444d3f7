// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The embedded database's roles. The superuser {@code postgres} is used only to keep these roles
 * as they should be and for the shutdown checkpoint; everything else runs as one of:
 * <ul>
 * <li>{@value #OWNER}: owns the schema and every table in it, runs the Flyway migrations; no
 * superuser, cannot create roles or databases.</li>
 * <li>{@value #APP}: what the catalog's requests run as: reads and writes rows, owns nothing,
 * cannot change the schema, cannot run programs ({@code COPY … TO PROGRAM} needs a superuser or
 * pg_execute_server_program), and may only add to the audit log and its chain, never change or delete them.</li>
 * </ul>
 * Both steps are idempotent and run at every start, which is also how a database made by an older
 * catalog (every table owned by the superuser) is brought in line.
 */
final class DatabaseRoles {

    static final String OWNER = "cryostash_owner";
    static final String APP = "cryostash_app";
    static final String SUPERUSER = "postgres";

    private DatabaseRoles() {
    }

    /** As the superuser: the two roles with their passwords, the database and schema privileges, object ownership. */
    static void prepare(Connection superuser, DatabaseSecrets secrets) throws SQLException {
        try (Statement s = superuser.createStatement()) {
            s.execute("""
                    DO $$ BEGIN
                        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%1$s') THEN CREATE ROLE %1$s; END IF;
                        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%2$s') THEN CREATE ROLE %2$s; END IF;
                    END $$""".formatted(OWNER, APP));
            // Passwords are 32 letters and digits (DatabaseSecrets): nothing to escape.
            s.execute("ALTER ROLE " + OWNER + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                    + " PASSWORD '" + secrets.owner() + "'");
            s.execute("ALTER ROLE " + APP + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
                    + " PASSWORD '" + secrets.app() + "'");
            // Neither may hold another role's rights (pg_execute_server_program, pg_read_server_files, …).
            s.execute("""
                    DO $$ DECLARE r record; BEGIN
                        FOR r IN SELECT g.rolname AS grp, m.rolname AS member FROM pg_auth_members a
                                 JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
                                 WHERE m.rolname IN ('%1$s', '%2$s') LOOP
                            EXECUTE format('REVOKE %%I FROM %%I', r.grp, r.member);
                        END LOOP;
                        EXECUTE format('REVOKE ALL ON DATABASE %%I FROM PUBLIC', current_database());
                        EXECUTE format('GRANT CONNECT, TEMPORARY, CREATE ON DATABASE %%I TO %1$s', current_database());
                        EXECUTE format('GRANT CONNECT ON DATABASE %%I TO %2$s', current_database());
                    END $$""".formatted(OWNER, APP));
            s.execute("ALTER SCHEMA public OWNER TO " + OWNER);
            s.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC");
            s.execute("GRANT USAGE ON SCHEMA public TO " + APP);
            // Tables, sequences, views, routines and types an older catalog made as the superuser.
            // Sequences that belong to a column move with their table.
            s.execute("""
                    DO $$ DECLARE r record; BEGIN
                        FOR r IN SELECT format('ALTER %%s public.%%I OWNER TO %1$s',
                                         CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                                        WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                                        ELSE 'TABLE' END, c.relname) AS stmt
                                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                                   AND c.relowner <> '%1$s'::regrole
                                   AND NOT (c.relkind = 'S' AND EXISTS (
                                       SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                       AND d.objid = c.oid AND d.deptype IN ('a', 'i'))) LOOP
                            EXECUTE r.stmt;
                        END LOOP;
                        FOR r IN SELECT format('ALTER ROUTINE %%s OWNER TO %1$s', p.oid::regprocedure) AS stmt
                                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                 WHERE n.nspname = 'public' AND p.proowner <> '%1$s'::regrole LOOP
                            EXECUTE r.stmt;
                        END LOOP;
                        FOR r IN SELECT format('ALTER TYPE %%s OWNER TO %1$s', t.oid::regtype) AS stmt
                                 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                                 WHERE n.nspname = 'public' AND t.typowner <> '%1$s'::regrole
                                   AND t.typtype IN ('e', 'd') LOOP
                            EXECUTE r.stmt;
                        END LOOP;
                    END $$""".formatted(OWNER));
        }
    }

    /**
     * As the owner, after the migrations: the app role's rights on every table there is now. The
     * audit log, its chain links and anchors are append-only for it, and it cannot touch Flyway's history.
     */
    static void grantToApp(Connection owner) throws SQLException {
        try (Statement s = owner.createStatement()) {
            s.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + APP);
            s.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO " + APP);
            // The audit chain: links and anchors are only ever added (the sequencer's watermark row is updated).
            s.execute("REVOKE UPDATE, DELETE, TRUNCATE ON TABLE audit_log, audit_chain, audit_anchors FROM " + APP);
            s.execute("REVOKE ALL ON TABLE flyway_schema_history FROM " + APP);
        }
    }
}
