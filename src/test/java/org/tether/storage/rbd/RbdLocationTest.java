package org.tether.storage.rbd;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Glance's RBD locations as Cinder's {@code _parse_location} reads them, and nothing that could become a path. */
class RbdLocationTest {

    @Test
    void aGlanceRbdLocationNamesClusterPoolImageAndSnapshot() {
        RbdLocation l = RbdLocation.parse("rbd://1f0e5b8e-3c51-4c2e-b0c1-6a0f1d3c9e11/images/"
                + "0a1e781f-a214-4750-ac94-855304f1d665/snap").orElseThrow();
        assertThat(l.fsid()).isEqualTo("1f0e5b8e-3c51-4c2e-b0c1-6a0f1d3c9e11");
        assertThat(l.snapshotSpec()).isEqualTo("images/0a1e781f-a214-4750-ac94-855304f1d665@snap");
        assertThat(RbdLocation.parse("rbd://f/my%20pool/img/snap").orElseThrow().pool()).isEqualTo("my pool");
    }

    @Test
    void everyOtherShapeNamesNothingToCloneFrom() {
        for (String url : new String[] {null, "", "file:///var/lib/glance/images/x", "rbd://image-only",
                "rbd://f/pool/image", "rbd://f/pool/image/snap/extra", "rbd://f//image/snap", "rbd://f/pool/im%2Fage/snap",
                "rbd://f/pool/image@other/snap", "rbd://f/-pool/image/snap", "rbd://f/pool/ima%0Age/snap",
                "rbd://f/pool/%zz/snap", "swift://f/pool/image/snap"}) {
            assertThat(RbdLocation.parse(url)).as(String.valueOf(url)).isEmpty();
        }
    }
}
