package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.agent.image.ImageDirectory;
import io.cryostash.schema.image.ProcessImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "images", description = "List the images in the store.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        ImageDirectory dir = store.open();
        System.out.printf("%-26s %-20s %7s %-16s %10s%n", "IMAGE", "CREATED", "PID", "COMMAND", "SIZE");
        for (String id : dir.list()) {
            try {
                ProcessImage im = dir.readManifest(id);
                System.out.printf("%-26s %-20s %7d %-16s %10s%n", id, im.createdAt().toString().substring(0, 19),
                        im.process().pid(), im.process().comm(), Sizes.human(dir.sizeOnDisk(id)));
            } catch (RuntimeException e) {
                System.out.printf("%-26s unreadable: %s%n", id, e.getMessage());
            }
        }
        return 0;
    }
}
