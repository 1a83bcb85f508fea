package org.tether.qos;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A validated front-end QoS specification: the limits to put in {@code <iotune>} (zero means "no limit"
 * and is left out), an optional burst group, and the keys that were not QoS keys.
 */
public record QosSpec(Map<QosKey, Long> limits, String groupName, List<String> ignoredKeys) {
    public static final QosSpec NONE = new QosSpec(Map.of(), null, List.of());

    public QosSpec {
        EnumMap<QosKey, Long> copy = new EnumMap<>(QosKey.class);
        copy.putAll(limits);
        limits = Collections.unmodifiableMap(copy);
        ignoredKeys = List.copyOf(ignoredKeys);
    }

    public boolean isEmpty() {
        return limits.isEmpty() && groupName == null;
    }

    public Long get(QosKey key) {
        return limits.get(key);
    }
}
