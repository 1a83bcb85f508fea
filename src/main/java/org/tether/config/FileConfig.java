package org.tether.config;

import io.smallrye.config.WithDefault;

import java.nio.file.Path;

/** {@code tether.storage.file.*}: the file backend (sparse files in a directory). */
public interface FileConfig {
    /** The directory of the {@code file} backend's volume files. */
    @WithDefault("/var/lib/tether/files")
    Path dir();
}
