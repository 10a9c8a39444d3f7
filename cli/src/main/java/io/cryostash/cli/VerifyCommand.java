package io.cryostash.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import io.cryostash.agent.image.ImageStore;
import io.cryostash.agent.store.IntegrityException;
import io.cryostash.agent.store.check.Checker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "verify", description = "Check an image (or, without an id, the whole store): signature, manifest, "
        + "every chunk present; with --read-data every chunk re-hashed.")
final class VerifyCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image-id>", arity = "0..1", description = "the image to check (default: everything)")
    String imageId;

    @Option(names = "--read-data", description = "download and re-hash every chunk")
    boolean readData;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() throws IOException {
        try (ImageStore images = store.open()) {
            Checker checker = new Checker(images.repository().chunks().backend(), images.repository().trustedKeys());
            Checker.Report r;
            if (imageId != null) {
                String id = images.resolve(imageId);
                images.read(id); // signature, format and manifest checks first
                r = checker.checkImage(id, readData);
            } else {
                r = checker.check(readData);
            }
            for (IntegrityException e : r.errors()) {
                System.out.println("error: " + e.getMessage());
            }
            for (String p : r.orphanedPacks()) {
                System.out.println("orphaned pack (collected by the next GC): " + p);
            }
            System.out.printf("%s: %d packs, %d chunks checked%s%n", r.ok() ? "ok" : "DAMAGED", r.packs(), r.chunks(),
                    readData ? ", every chunk re-hashed" : "");
            return r.ok() ? 0 : 2;
        }
    }
}
