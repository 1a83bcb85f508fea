package org.tether.storage.lvm;

/** One row of {@code vgs --reportformat json}. */
public record VgInfo(String name, long sizeBytes, long freeBytes) {
}
