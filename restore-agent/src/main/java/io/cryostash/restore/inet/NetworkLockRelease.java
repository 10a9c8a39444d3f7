// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.LoggerFactory;

import io.cryostash.agent.network.NetworkLockException;
import io.cryostash.agent.network.NetworkLocks;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * Releases the network locks a {@code --kill} capture left on an image's TCP connections (see
 * {@link NetworkLocks}): once the connections are rebuilt, before they leave repair mode (so the
 * window probe they send gets through), and after a failed restore too, so that no drop rule
 * outlives the restore that was meant to end it (the peers then see a reset, not silence). A
 * lock that is not there (another host, or released already) is no error.
 */
public final class NetworkLockRelease {
    private NetworkLockRelease() {
    }

    /** The locks named by these descriptors. */
    static Set<String> tables(Collection<FdEntry> entries) {
        Set<String> out = new TreeSet<>();
        for (FdEntry e : entries) {
            if (e.file() instanceof InetSocketFile f && f.networkLock() != null) {
                out.add(f.networkLock());
            }
        }
        return out;
    }

    /** The locks named anywhere in the image, its tree's members included. */
    public static Set<String> tables(ProcessImage image) {
        Set<String> out = new TreeSet<>(tables(image.fds()));
        if (image.tree() != null) {
            for (TreeMember m : image.tree().members()) {
                if (m.image() != null) {
                    out.addAll(tables(m.image().fds()));
                }
            }
        }
        return out;
    }

    /** Releases them, or fails the restore saying which could not be. */
    static void release(Set<String> tables) {
        if (tables.isEmpty()) {
            return;
        }
        NetworkLocks locks = NetworkLocks.onThisHost();
        if (locks == null) {
            return; // nothing here could have made them
        }
        for (String table : tables) {
            try {
                locks.release(table);
            } catch (NetworkLockException e) {
                throw new RestoreException("cannot release the network lock of the image's TCP connections ("
                        + e.getMessage() + "): their packets would still be dropped", e);
            }
        }
    }

    /** After a failed restore: releases every lock of the image; never throws (the failure is what to report). */
    public static void afterFailure(ProcessImage image) {
        Set<String> tables = tables(image);
        if (tables.isEmpty()) {
            return;
        }
        try {
            release(tables);
        } catch (RuntimeException e) {
            LoggerFactory.getLogger(NetworkLockRelease.class).warn("the restore of image {} failed and releasing its"
                    + " network locks {} failed too ({}): `cryostash network-locks --release` lets them go", image.id(),
                    tables, e.getMessage());
        }
    }
}
