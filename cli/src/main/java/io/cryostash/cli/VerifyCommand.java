// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.state.HostDirectory;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.check.Checker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", description = "Check one image down to its data: signature, manifest, every chunk present, "
        + "each of its packs against its own index, every chunk re-hashed. Without an id, check the whole store's "
        + "structure; --read-data re-hashes every chunk of the store too.")
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image-id>", arity = "0..1", description = "the image to check (default: the whole store)")
    String imageId;

    @Option(names = "--read-data", description = "whole store: download and re-hash every chunk (an image's are always)")
    boolean readData;

    @Mixin
    StoreOption store;

    @Mixin
    CatalogOption catalog;

    /**
     * With a catalog configured (the client config `up` wrote) and no --store, the store the agents
     * of this machine use, trusting their keys as they do; else the given or default store.
     */
    private ImageStore open() {
        String catalogUrl = catalog.url(store.store != null);
        if (catalogUrl == null) {
            return store.open();
        }
        AgentSettings host = CatalogStore.hostSettings(catalog, store, catalogUrl);
        ImageStore images = AgentDaemon.openStore(host, new HostDirectory(host.hostDir()));
        images.warnings().forEach(w -> System.err.println("warning: " + w));
        System.err.println("verifying " + images.location() + ", the store of host " + host.hostId()
                + " (from " + catalog.configFile() + "; --no-catalog or --store for another)");
        return images;
    }

    @Override
    public Integer call() throws IOException {
        try (ImageStore images = open()) {
            Checker.Report r;
            String what;
            boolean readFailed = false;
            if (imageId != null) {
                String id = images.resolve(imageId);
                try {
                    images.read(id); // what restore reads first: signature, format limits, chunk tables
                } catch (RuntimeException e) {
                    // reported, and the checker below says what else is wrong and what to do
                    System.out.println("error: " + e.getMessage());
                    readFailed = true;
                }
                r = images.repository().verify(id);
                what = "image " + id + ": " + r.packs() + " packs, " + r.chunks() + " chunks, every chunk re-hashed";
            } else {
                r = new Checker(images.repository().chunks().backend(), images.repository().trustedKeys()).check(readData);
                what = "store: " + r.manifests() + " images, " + r.packs() + " packs, " + r.chunks() + " chunks"
                        + (readData ? ", every chunk re-hashed" : " (structure; --read-data re-hashes every chunk)");
            }
            for (IntegrityException e : r.errors()) {
                System.out.println("error: " + e.getMessage());
            }
            for (String p : r.orphanedPacks()) {
                System.out.println("pack in no index: " + p + " (a capture still uploading, or a lost index object)");
            }
            boolean unindexed = r.errors().stream().anyMatch(e -> e instanceof ChunkMissingException
                    && e.getMessage().contains("not in any index"));
            if (unindexed && !r.orphanedPacks().isEmpty()) {
                System.out.println("hint: chunks images need are in no index while packs are in none either: "
                        + "`cryostash repair-index` rebuilds the index from the packs' own indexes");
            }
            if (r.errors().stream().anyMatch(e -> e.getMessage().startsWith("index object "))) {
                System.out.println("hint: a damaged index object was worked around by reading the packs' own indexes;"
                        + " `cryostash repair-index` rewrites the index from them");
            }
            boolean ok = r.ok() && !readFailed;
            System.out.printf("%s: %s%n", ok ? "ok" : "DAMAGED", what);
            return ok ? 0 : 2;
        }
    }
}
