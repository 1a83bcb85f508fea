package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.tether.qos.QosSpecParser;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.storage.volume.VolumeType;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks a volume type from a create request, and the plain {@code qos_specs} of one. */
final class VolumeTypes {
    private static final Set<String> CONSUMERS = Set.of("front-end", "back-end", "both");
    private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N} _.:-]{1,255}");
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_:.-]{1,255}");
    private static final int MAX_SPECS = 64;

    private VolumeTypes() {
    }

    static VolumeType parse(StorageRequests.VolumeTypeSpec spec, int sizeGb) {
        if (spec == null) {
            return null;
        }
        if (spec.name() == null) {
            throw TetherException.missing("volume_type.name");
        }
        if (!NAME.matcher(spec.name()).matches()) {
            throw TetherException.invalid("volume_type.name", "volume_type.name must be 1-255 letters, digits, "
                    + "spaces or _.:-");
        }
        Map<String, String> extra = strings(spec.extraSpecs(), "volume_type.extra_specs");
        VolumeType.Qos qos = null;
        if (spec.qosSpecs() != null) {
            String consumer = spec.qosSpecs().consumer();
            if (consumer == null) {
                throw TetherException.missing("volume_type.qos_specs.consumer");
            }
            if (!CONSUMERS.contains(consumer)) {
                throw TetherException.invalid("volume_type.qos_specs.consumer", "consumer is front-end, back-end "
                        + "or both");
            }
            qos = new VolumeType.Qos(consumer, strings(spec.qosSpecs().specs(), "volume_type.qos_specs.specs"));
            checkPerGb(qos);
        }
        VolumeType type = new VolumeType(spec.name(), extra, qos);
        String provisioning = type.provisioning();
        if (provisioning != null && !provisioning.equals("thin") && !provisioning.equals("thick")) {
            throw TetherException.invalid("volume_type.extra_specs.provisioning:type", "provisioning:type is thin "
                    + "or thick");
        }
        Map<String, String> front = type.frontEndSpecs(sizeGb);
        if (front != null) {
            // what the host will get must pass the host's own rules, so a bad type is refused here, not at attach
            var tree = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            front.forEach(tree::put);
            QosSpecParser.parse(tree, "volume_type.qos_specs.specs");
        }
        return type;
    }

    /**
     * Plain {@code qos_specs} are front-end specs; a {@code consumer} in them (as Cinder keeps it beside the
     * specs) never travels to the host, and a back-end one cannot be honoured by any pool here.
     */
    static Map<String, String> plainQos(Map<String, String> specs) {
        String consumer = specs.get("consumer");
        if (consumer == null) {
            return specs;
        }
        if (consumer.equals("back-end")) {
            throw new TetherException(ErrorCode.QOS_NOT_SUPPORTED, "qos_specs.consumer", "no pool here enforces "
                    + "back-end QoS (QoS_support false); front-end specs reach the host");
        }
        if (!CONSUMERS.contains(consumer)) {
            throw TetherException.invalid("qos_specs.consumer", "consumer is front-end, back-end or both");
        }
        Map<String, String> out = new LinkedHashMap<>(specs);
        out.remove("consumer");
        return out;
    }

    /** Cinder multiplies these as integers; anything else would fail at the first export. */
    private static void checkPerGb(VolumeType.Qos qos) {
        for (Map.Entry<String, String> e : qos.specs().entrySet()) {
            String k = e.getKey();
            boolean scaled = VolumeType.TUNE_OPTIONS.stream().anyMatch(o -> k.equals(o + "_per_gb")
                    || k.equals(o + "_per_gb_min") || k.equals(o + "_max") && qos.specs().containsKey(o + "_per_gb"));
            if (scaled) {
                try {
                    if (Long.parseLong(e.getValue()) < 0) {
                        throw new NumberFormatException();
                    }
                } catch (NumberFormatException nfe) {
                    throw new TetherException(ErrorCode.INVALID_QOS, "volume_type.qos_specs.specs." + k,
                            k + " must be a non-negative integer");
                }
            }
        }
    }

    private static Map<String, String> strings(JsonNode node, String field) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject() || node.size() > MAX_SPECS) {
            throw TetherException.invalid(field, field + " must be an object of at most " + MAX_SPECS + " strings");
        }
        node.fields().forEachRemaining(e -> {
            if (!KEY.matcher(e.getKey()).matches()) {
                throw TetherException.invalid(field, "key " + shortened(e.getKey()) + " is not 1-255 of [A-Za-z0-9_:.-]");
            }
            if (!e.getValue().isValueNode() || e.getValue().isNull() || e.getValue().asText().length() > 255) {
                throw TetherException.invalid(field + "." + e.getKey(), "values are strings of at most 255 characters");
            }
            out.put(e.getKey(), e.getValue().asText());
        });
        return out;
    }

    private static String shortened(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
