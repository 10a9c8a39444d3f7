package io.cryostash.cli;

import java.nio.file.Path;

import io.cryostash.agent.image.ImageDirectory;
import picocli.CommandLine.Option;

/** {@code --store}: where images live; $CRYOSTASH_STORE, else ~/.cryostash/store. */
final class StoreOption {
    @Option(names = "--store", paramLabel = "<dir>",
            description = "image store directory (default: $CRYOSTASH_STORE, else ~/.cryostash/store)")
    Path store;

    ImageDirectory open() {
        return new ImageDirectory(store != null ? store : ImageDirectory.defaultRoot());
    }
}
