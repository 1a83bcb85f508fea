package org.tether.compute.nvme;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class NvmeHostIdentityTest {
    @TempDir
    Path etc;

    @Test
    void madeOnceFromARandomHostIdAndKeptAfterwards() throws Exception {
        NvmeHostIdentity ids = new NvmeHostIdentity(etc.resolve("nvme/hostnqn"), etc.resolve("nvme/hostid"));
        assertThat(ids.current()).isEmpty();
        NvmeHostIdentity.Identity first = ids.ensure();
        assertThat(first.hostNqn()).isEqualTo("nqn.2014-08.org.nvmexpress:uuid:" + first.hostId());
        assertThat(Files.readString(etc.resolve("nvme/hostnqn")).strip()).isEqualTo(first.hostNqn());
        assertThat(new NvmeHostIdentity(etc.resolve("nvme/hostnqn"), etc.resolve("nvme/hostid")).ensure())
                .as("another run, the same identity").isEqualTo(first);
    }

    @Test
    void anExistingHostNqnIsKeptAndItsUuidBecomesTheHostId() throws Exception {
        Files.createDirectories(etc.resolve("nvme"));
        String nqn = "nqn.2014-08.org.nvmexpress:uuid:3b7e3e51-6a0a-4c1f-9b67-1f3c2d4e5a6b";
        Files.writeString(etc.resolve("nvme/hostnqn"), nqn + "\n");
        NvmeHostIdentity.Identity id = new NvmeHostIdentity(etc.resolve("nvme/hostnqn"), etc.resolve("nvme/hostid"))
                .ensure();
        assertThat(id.hostNqn()).isEqualTo(nqn);
        assertThat(id.hostId()).isEqualTo("3b7e3e51-6a0a-4c1f-9b67-1f3c2d4e5a6b");
        assertThat(Files.readString(etc.resolve("nvme/hostnqn")).strip()).isEqualTo(nqn);
    }
}
