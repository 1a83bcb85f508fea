package org.tether.compute.connector;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** os-brick's get_connector_properties, key for key (including the space in "system uuid"). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"platform", "os_type", "ip", "host", "multipath", "enforce_multipath", "initiator",
        "system uuid", "do_local_attach", "nqn", "nvme_hostid", "uuid", "nvme_native_multipath"})
public record ConnectorProperties(
        @JsonProperty("platform") String platform,
        @JsonProperty("os_type") String osType,
        @JsonProperty("ip") String ip,
        @JsonProperty("host") String host,
        @JsonProperty("multipath") boolean multipath,
        @JsonProperty("enforce_multipath") boolean enforceMultipath,
        @JsonProperty("initiator") String initiator,
        @JsonProperty("system uuid") String systemUuid,
        @JsonProperty("do_local_attach") boolean doLocalAttach,
        @JsonProperty("nqn") String nqn,
        @JsonProperty("nvme_hostid") String nvmeHostId,
        @JsonProperty("uuid") String uuid,
        @JsonProperty("nvme_native_multipath") Boolean nvmeNativeMultipath) {
    /** Without the NVMe keys (a host with no NVMe identity). */
    public ConnectorProperties(String platform, String osType, String ip, String host, boolean multipath,
                               boolean enforceMultipath, String initiator, String systemUuid, boolean doLocalAttach) {
        this(platform, osType, ip, host, multipath, enforceMultipath, initiator, systemUuid, doLocalAttach, null,
                null, null, null);
    }
}
