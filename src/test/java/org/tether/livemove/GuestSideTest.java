package org.tether.livemove;

import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Which export an attachment (as the compute side lists it) names: the whole name, by transport. */
class GuestSideTest {
    private static final UUID ID = UUID.fromString("6274117e-7686-49f2-8bdb-35ce5af83e11");
    private static final String PLAIN = "iqn.2010-10.org.openstack:volume-" + ID;
    private static final String TAGGED = PLAIN + "-m0a1b2c3d";

    private static String iscsi(String iqn) {
        return "{\"volume_id\":\"" + ID + "\",\"connection\":{\"driver_volume_type\":\"iscsi\",\"data\":{\"target_iqn\":\""
                + iqn + "\"}},\"source\":\"" + iqn + "/1\"}";
    }

    private static String rbd(String name) {
        return "{\"volume_id\":\"" + ID + "\",\"connection\":{\"driver_volume_type\":\"rbd\",\"data\":{\"name\":\""
                + name + "\"}},\"source\":\"" + name + "\"}";
    }

    @Test
    void aTargetsPlainNameIsNotItsMovedCopysAndTheCopysIsNotThePlainOne() {
        assertThat(GuestSide.mentions(iscsi(PLAIN), PLAIN)).isTrue();
        assertThat(GuestSide.mentions(iscsi(TAGGED), PLAIN)).as("the copy's target starts with the plain name")
                .isFalse();
        assertThat(GuestSide.mentions(iscsi(TAGGED), TAGGED)).isTrue();
        assertThat(GuestSide.mentions(iscsi(PLAIN), TAGGED)).isFalse();
        assertThat(GuestSide.mentions(iscsi(PLAIN + "-m99999999"), TAGGED)).as("another move's copy").isFalse();
    }

    @Test
    void anRbdImageIsNamedByItsPoolAndNeitherAnIscsiTargetNorAnotherPoolsImageIsIt() {
        String image = "volumes/volume-" + ID;
        assertThat(GuestSide.mentions(rbd(image), image)).isTrue();
        assertThat(GuestSide.mentions(iscsi(PLAIN), image)).as("the same volume behind an iSCSI target").isFalse();
        assertThat(GuestSide.mentions(rbd(image), PLAIN)).isFalse();
        assertThat(GuestSide.mentions(rbd("xvolumes/volume-" + ID), image)).as("a pool whose name ends like it")
                .isFalse();
        assertThat(GuestSide.mentions(rbd("fast/volume-" + ID), image)).isFalse();
        assertThat(GuestSide.mentions(rbd(image + "-clone"), image)).isFalse();
    }
}
