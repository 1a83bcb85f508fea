package org.tether.storage.target;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TgtTargetsTest {

    @Test
    void parsesRecordedShowOutput() throws Exception {
        String out;
        try (InputStream in = getClass().getResourceAsStream("/tgt-show-target.txt")) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        TgtTargets t = TgtTargets.parse(out);
        assertThat(t.targets()).hasSize(2);
        TgtTargets.Target ours = t.byIqn("iqn.2010-10.org.openstack:volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2")
                .orElseThrow();
        assertThat(ours.tid()).isEqualTo(1);
        assertThat(ours.accounts()).containsExactly("nE9PY8juynmmZ95F7Xb7");
        assertThat(ours.acls()).containsExactly("iqn.1993-08.org.debian:01:48f7d7b22dc",
                "iqn.1994-05.com.redhat:compute-2");
        assertThat(ours.backingStores()).containsExactly(
                "/var/lib/tether/files/volume-8b1ec3fe-8c57-45ca-a1cf-a481bfc8fce2");
        assertThat(t.byIqn("iqn.2003-01.org.example:other").orElseThrow().acls()).isEqualTo(Set.of("ALL"));
        assertThat(t.tids()).containsExactlyInAnyOrder(1, 3);
    }

    @Test
    void noTargetsNoIds() {
        assertThat(TgtTargets.parse("").tids()).isEmpty();
    }
}
