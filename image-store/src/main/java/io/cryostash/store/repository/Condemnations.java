// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Condemnation records ({@code condemned/<millis>-<random>}): the packs one garbage collection run
 * took out of the index, with their full index entries, so that a later run can either delete
 * them or put them back ("resurrect" them) when an image turned out to need them. The content is
 * an index object ({@link IndexFiles}); only the name differs. A record is deleted by the run that
 * settles it.
 *
 * <p>Why two steps: a capture on another host may have found a chunk in its copy of the index
 * just before the run decided that no image needs it, and name it in a manifest written minutes
 * later. Such a capture holds a lease ({@link StoreLock}, kind CAPTURE) that lists the records it
 * had seen when it started; a record is settled only when every live lease lists it, so every
 * capture that could count on its packs has either finished (its manifest is then marked) or
 * knows to ignore them.
 */
final class Condemnations {

    /** One record: its id (the object name without the prefix) and the packs it condemned. */
    record Record(String id, List<PackSummary> packs) {
        Record {
            packs = List.copyOf(packs);
        }

        String objectName() {
            return StoreFormat.CONDEMNED + id;
        }
    }

    private Condemnations() {
    }

    /** Every record in the store, oldest first. A damaged record fails the call: its packs would be guessed. */
    static List<Record> list(Backend backend) throws IOException {
        return scan(backend, true).records();
    }

    /** What {@link #listReadable} found: the intact records, oldest first, and the object names of damaged ones. */
    record Listing(List<Record> records, List<String> damaged) {
        Listing {
            records = List.copyOf(records);
            damaged = List.copyOf(damaged);
        }
    }

    /** Every record in the store, for {@code repair-index}, which drops the damaged ones. */
    static Listing listReadable(Backend backend) throws IOException {
        return scan(backend, false);
    }

    private static Listing scan(Backend backend, boolean refuseDamage) throws IOException {
        List<Record> out = new ArrayList<>();
        List<String> damaged = new ArrayList<>();
        for (ObjectInfo o : backend.list(StoreFormat.CONDEMNED)) {
            try {
                out.add(read(backend, o.name()));
            } catch (ObjectNotFoundException settledMeanwhile) {
                // a run settled it between list and get
            } catch (IntegrityException e) {
                if (refuseDamage) {
                    throw new IntegrityException(e.getMessage() + "; garbage collection stops rather than guess which"
                            + " packs it condemned: run `cryostash repair-index`, which drops the record (its packs"
                            + " are then judged again like any other)");
                }
                damaged.add(o.name());
            }
        }
        out.sort(java.util.Comparator.comparing(Record::id));
        return new Listing(out, damaged);
    }

    /** Record ids only (one LIST, no reads). */
    static List<String> ids(Backend backend) throws IOException {
        return backend.list(StoreFormat.CONDEMNED).stream().map(o -> o.name().substring(StoreFormat.CONDEMNED.length()))
                .sorted().toList();
    }

    static Record read(Backend backend, String objectName) throws IOException {
        try {
            return new Record(objectName.substring(StoreFormat.CONDEMNED.length()),
                    IndexFiles.decode(null, backend.get(objectName)));
        } catch (IntegrityException e) {
            throw new IntegrityException("condemnation record " + objectName + " is damaged (" + e.getMessage() + ")");
        }
    }

    /** Writes a record for {@code packs}; its id sorts after every earlier record's. */
    static Record write(Backend backend, List<PackSummary> packs) throws IOException {
        String id = String.format("%013d-%s", Instant.now().toEpochMilli(), UUID.randomUUID().toString().substring(0, 8));
        backend.put(StoreFormat.CONDEMNED + id, IndexFiles.encode(packs));
        return new Record(id, packs);
    }

    static void delete(Backend backend, Record r) throws IOException {
        backend.delete(r.objectName());
    }
}
