package org.tether.connection;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Accepts both Cinder shapes of connection_info — nested ({@code {"driver_volume_type", "data": {...}}})
 * and flat (v3 attachments: data keys beside {@code driver_volume_type}) — and hands the data to the
 * parser of its transport.
 */
@ApplicationScoped
public class ConnectionInfoParser {
    static final String FIELD = "connection_info";

    private final Map<String, DriverParser> parsers;

    @Inject
    public ConnectionInfoParser(Instance<DriverParser> parsers) {
        this(parsers.stream().toList());
    }

    public ConnectionInfoParser(List<DriverParser> parsers) {
        this.parsers = parsers.stream().collect(Collectors.toMap(
                DriverParser::driverVolumeType, Function.identity(), (a, b) -> a, TreeMap::new));
    }

    public ConnectionInfo parse(JsonNode info) {
        if (info == null || info.isNull()) {
            throw TetherException.missing(FIELD);
        }
        if (!info.isObject()) {
            throw TetherException.invalid(FIELD, FIELD + " must be an object");
        }
        JsonNode type = info.get("driver_volume_type");
        if (type == null || type.isNull()) {
            throw TetherException.missing(FIELD + ".driver_volume_type");
        }
        DriverParser parser = type.isTextual() ? parsers.get(type.asText()) : null;
        if (parser == null) {
            throw new TetherException(ErrorCode.UNSUPPORTED_DRIVER_VOLUME_TYPE, FIELD + ".driver_volume_type",
                    "driver_volume_type must be one of " + String.join(", ", parsers.keySet()));
        }
        JsonNode data = info.get("data");
        if (data != null && !data.isNull()) {
            if (!data.isObject()) {
                throw TetherException.invalid(FIELD + ".data", FIELD + ".data must be an object");
            }
            return parser.parse(data, FIELD + ".data");
        }
        return parser.parse(info, FIELD);
    }
}
