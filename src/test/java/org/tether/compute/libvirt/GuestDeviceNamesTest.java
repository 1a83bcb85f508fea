package org.tether.compute.libvirt;

import org.tether.disk.GuestDevice;
import org.junit.jupiter.api.Test;
import org.tether.error.TetherException;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuestDeviceNamesTest {
    private static final GuestDevice.Bus VIRTIO = GuestDevice.Bus.VIRTIO;

    @Test
    void requestedNameWinsWhenFree() {
        assertThat(GuestDeviceNames.choose("vdd", VIRTIO, Set.of("vda")).dev()).isEqualTo("vdd");
    }

    @Test
    void takenRequestFallsBackToFirstFreeName() {
        assertThat(GuestDeviceNames.choose("vda", VIRTIO, Set.of("vda", "vdb")).dev()).isEqualTo("vdc");
        assertThat(GuestDeviceNames.choose(null, GuestDevice.Bus.SCSI, Set.of("vda")).dev()).isEqualTo("sda");
    }

    @Test
    void countsPastZLikeLibvirt() {
        Set<String> used = new HashSet<>();
        for (char c = 'a'; c <= 'z'; c++) {
            used.add("vd" + c);
        }
        assertThat(GuestDeviceNames.choose(null, VIRTIO, used).dev()).isEqualTo("vdaa");
        used.add("vdaa");
        assertThat(GuestDeviceNames.choose(null, VIRTIO, used).dev()).isEqualTo("vdab");
    }

    @Test
    void requestMustMatchItsBus() {
        assertThatThrownBy(() -> GuestDeviceNames.validate("vdb", GuestDevice.Bus.SCSI))
                .isInstanceOf(TetherException.class).hasMessageContaining("does not match bus scsi");
        assertThatThrownBy(() -> GuestDeviceNames.validate("hda", VIRTIO)).isInstanceOf(TetherException.class);
        assertThatThrownBy(() -> GuestDeviceNames.validate("vdb/../x", VIRTIO)).isInstanceOf(TetherException.class);
        GuestDeviceNames.validate("sdc", GuestDevice.Bus.SCSI);
    }

    @Test
    void hotplugScopeFollowsDomainState() {
        assertThat(new DomainState("d", true, true).hotplugScope())
                .containsExactlyInAnyOrder(Hypervisor.Scope.LIVE, Hypervisor.Scope.CONFIG);
        assertThat(new DomainState("d", false, true).hotplugScope()).containsExactly(Hypervisor.Scope.CONFIG);
        assertThat(new DomainState("d", true, false).hotplugScope()).containsExactly(Hypervisor.Scope.LIVE);
        assertThat(Hypervisor.Scope.flags(new DomainState("d", true, true).hotplugScope())).isEqualTo(3);
    }
}
