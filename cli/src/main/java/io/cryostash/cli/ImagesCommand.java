// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.repository.Repository;
import io.cryostash.schema.image.ProcessImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "images", description = "List the images in the store.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        try (ImageStore images = SpoolOnOpen.replay(store.open())) {
            System.out.printf("%-64s  %-19s  %-12s %7s %-16s %9s %s%n", "IMAGE", "CREATED", "HOST", "PID", "COMMAND",
                    "MEMORY", "PAGES");
            for (Repository.ImageInfo info : images.list()) {
                if (!info.trusted()) {
                    System.out.printf("%-64s  %-19s  %-12s  (rejected: %s)%n", info.id(),
                            info.created().toString().substring(0, 19), info.host(), info.rejection());
                    continue;
                }
                try {
                    ProcessImage im = images.read(info.id());
                    long mem = im.areas().stream().mapToLong(a -> a.storedPages() * 4096).sum();
                    System.out.printf("%-64s  %-19s  %-12s %7d %-16s %9s %s%n", info.id(),
                            info.created().toString().substring(0, 19), info.host(), im.process().pid(),
                            im.process().comm(), Sizes.human(mem), im.tracking());
                } catch (RuntimeException e) {
                    System.out.printf("%-64s  unreadable: %s%n", info.id(), e.getMessage());
                }
            }
        }
        return 0;
    }
}
