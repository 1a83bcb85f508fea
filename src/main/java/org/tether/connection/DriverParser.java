package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;

/** Parses the data of one {@code driver_volume_type}. One implementation per transport. */
public interface DriverParser {

    String driverVolumeType();

    /**
     * @param data   the data object (nested {@code data}, or the flat top level)
     * @param prefix the field path of {@code data} for error messages
     */
    ConnectionInfo parse(JsonNode data, String prefix);
}
