package org.tether.storage.volume;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A volume type as Cinder keeps it: a name, extra specs the scheduler matches against pool capabilities, and
 * QoS specs with their consumer ({@code front-end}: the compute host's {@code <iotune>}; {@code back-end}: the
 * storage enforces them; {@code both}).
 */
public record VolumeType(String name, Map<String, String> extraSpecs, Qos qos) {

    public VolumeType {
        extraSpecs = extraSpecs == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extraSpecs));
    }

    public record Qos(String consumer, Map<String, String> specs) {
        public Qos {
            specs = specs == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(specs));
        }

        public boolean frontEnd() {
            return "front-end".equals(consumer) || "both".equals(consumer);
        }

        public boolean backEnd() {
            return "back-end".equals(consumer) || "both".equals(consumer);
        }
    }

    /** {@code provisioning:type}: thin, thick, or null when the type does not say. */
    public String provisioning() {
        return extraSpecs.get("provisioning:type");
    }

    /**
     * The specs a compute host gets in {@code connection_info.qos_specs} for a volume of {@code sizeGb}, as
     * Cinder's {@code _parse_connection_options} makes them: only for a front-end (or both) consumer, without
     * the consumer, each {@code <opt>_per_gb} times the size, at least {@code <opt>_per_gb_min}, at most
     * {@code <opt>_max}; null when nothing goes to the host.
     */
    public Map<String, String> frontEndSpecs(int sizeGb) {
        if (qos == null || !qos.frontEnd()) {
            return null;
        }
        Map<String, String> specs = new LinkedHashMap<>(qos.specs());
        for (String option : TUNE_OPTIONS) {
            String perGb = option + "_per_gb";
            if (specs.containsKey(perGb)) {
                long minimum = Long.parseLong(orZero(specs.remove(perGb + "_min")));
                long value = Long.parseLong(specs.get(perGb)) * sizeGb;
                long perGbValue = Math.max(minimum, value);
                String maxText = specs.remove(option + "_max");
                long max = maxText == null ? perGbValue : Long.parseLong(maxText);
                specs.put(option, Long.toString(Math.min(perGbValue, max)));
                specs.remove(perGb);
            }
        }
        return specs;
    }

    /** The options Cinder scales per GiB. */
    public static final java.util.List<String> TUNE_OPTIONS = java.util.List.of("read_iops_sec", "read_bytes_sec",
            "write_iops_sec", "write_bytes_sec", "total_iops_sec", "total_bytes_sec");

    private static String orZero(String s) {
        return s == null ? "0" : s;
    }
}
