package org.tether.compute.libvirt;

/**
 * A peer-to-peer live migration as libvirt's {@code virDomainMigrateToURI3} takes it: the source's libvirtd
 * connects to {@code destinationUri} itself and drives both sides.
 *
 * @param destinationXml the running definition the destination starts (its disks' sources and secrets)
 * @param persistentXml  the definition the destination keeps, or null for a transient domain
 * @param migrateUri     where QEMU sends memory ({@code tcp://host[:port]}), or null for libvirt's choice
 * @param listenAddress  the address the destination's QEMU listens on, or null
 * @param bandwidthMibS  a cap on the transfer, or null
 */
public record LiveMigration(String destinationUri, String destinationXml, String persistentXml, String migrateUri,
                            String listenAddress, Long bandwidthMibS) {
}
