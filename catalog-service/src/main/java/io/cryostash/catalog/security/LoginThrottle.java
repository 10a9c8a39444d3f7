// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

/**
 * Failed logins, counted per user name and per remote address. After {@code free} failures in a row
 * each further one locks that name (or address) for a time that doubles with every failure, from
 * one second up to {@link #MAX_LOCK}; while locked, a login is refused without looking at the
 * password, even the right one. A successful login clears its user name's count (not its
 * address's: one valid account must not reset the count of an address that tries many others).
 *
 * <p>Per name: 5 free failures (someone mistyping), then 1 s, 2 s, 4 s … so that guessing one
 * account's password gets about four tries an hour once the lock reaches its cap. Per address: 20
 * (several people behind one NAT), then the same. Counts live in memory, at most
 * {@link #MAX_ENTRIES} of each, and are forgotten a day after the last failure: a restart or a
 * second catalog instance starts afresh, which costs an attacker little time either way.
 */
public class LoginThrottle {

    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    static final int FREE_PER_USER = 5;
    static final int FREE_PER_ADDRESS = 20;
    static final int MAX_ENTRIES = 100_000;

    private final Clock clock;
    private final Cache<String, Failures> byUser = cache();
    private final Cache<String, Failures> byAddress = cache();

    public LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** Why a login is refused before its password is checked. */
    public record Lock(String by, Instant until, int failures) {
        public Duration remaining(Instant now) {
            Duration d = Duration.between(now, until);
            return d.isNegative() ? Duration.ZERO : d;
        }
    }

    private static final class Failures {
        int count;
        Instant lockedUntil = Instant.MIN;
        /** The lock the audit log was last told about, so that each lock is written down once. */
        Instant auditedLock = Instant.MIN;
    }

    private static Cache<String, Failures> cache() {
        return Caffeine.newBuilder().maximumSize(MAX_ENTRIES).expireAfterWrite(Duration.ofDays(1)).build();
    }

    public Instant now() {
        return clock.instant();
    }

    /** The lock on this name or this address now, the longer of the two; empty when a login may be tried. */
    public Optional<Lock> lockFor(String username, String address) {
        Instant now = clock.instant();
        Optional<Lock> user = lock("user name", byUser.getIfPresent(username), now);
        Optional<Lock> addr = lock("address", byAddress.getIfPresent(String.valueOf(address)), now);
        if (user.isPresent() && addr.isPresent()) return user.get().until().isAfter(addr.get().until()) ? user : addr;
        return user.isPresent() ? user : addr;
    }

    /**
     * Whether this refusal is the first under its lock (the one to write to the audit log); later
     * refusals under the same lock are not written again.
     */
    public boolean firstRefusal(String username, String address, Lock lock) {
        Failures f = (lock.by().equals("user name") ? byUser.getIfPresent(username) : byAddress.getIfPresent(String.valueOf(address)));
        if (f == null) return true;
        synchronized (f) {
            if (f.auditedLock.equals(f.lockedUntil)) return false;
            f.auditedLock = f.lockedUntil;
            return true;
        }
    }

    public void failed(String username, String address) {
        Instant now = clock.instant();
        count(byUser.get(username, k -> new Failures()), FREE_PER_USER, now);
        count(byAddress.get(String.valueOf(address), k -> new Failures()), FREE_PER_ADDRESS, now);
    }

    public void succeeded(String username) {
        byUser.invalidate(username);
    }

    private static void count(Failures f, int free, Instant now) {
        synchronized (f) {
            f.count++;
            if (f.count > free) {
                int doublings = Math.min(f.count - free - 1, 20);
                Duration lock = Duration.ofSeconds(1L << doublings);
                if (lock.compareTo(MAX_LOCK) > 0) lock = MAX_LOCK;
                f.lockedUntil = now.plus(lock);
            }
        }
    }

    private static Optional<Lock> lock(String by, Failures f, Instant now) {
        if (f == null) return Optional.empty();
        synchronized (f) {
            return f.lockedUntil.isAfter(now) ? Optional.of(new Lock(by, f.lockedUntil, f.count)) : Optional.empty();
        }
    }
}
