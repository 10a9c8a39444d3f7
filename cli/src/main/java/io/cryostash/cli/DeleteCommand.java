// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Delete images (their manifests). Their chunks stay until `cryostash gc`, "
        + "which keeps every chunk another image still names.")
final class DeleteCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image-id>", arity = "1..*", description = "images to delete (unique id prefixes work)")
    List<String> imageIds;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() throws IOException {
        try (ImageStore images = store.open()) {
            // resolve all first: a typo in the third id must not leave the first two deleted
            List<String> ids = imageIds.stream().map(images::resolve).toList();
            for (String id : ids) {
                images.repository().deleteImage(id);
                System.out.println("deleted " + id);
            }
            System.out.println("their chunks are freed by the next `cryostash gc`");
            return 0;
        }
    }
}
