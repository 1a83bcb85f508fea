package org.tether.storage;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import org.tether.config.TetherConfig;
import org.tether.exec.CommandRunner;
import org.tether.storage.lvm.Lvm;
import org.tether.storage.lvm.LvmBackend;
import org.tether.storage.rbd.RbdBackend;
import org.tether.storage.rbd.RbdCli;
import org.tether.storage.rbd.RbdExportDriver;
import org.tether.storage.target.ExportDriver;
import org.tether.storage.target.LioDriver;
import org.tether.storage.target.TgtDriver;
import org.tether.storage.target.Tgtadm;
import org.tether.storage.volume.FileBackend;
import org.tether.storage.volume.VolumeBackend;

/** Picks the volume backend and the target driver the configuration names. Created on first use. */
public class StorageBeans {

    @Produces
    @ApplicationScoped
    VolumeBackend backend(TetherConfig config, CommandRunner runner) {
        TetherConfig.Storage s = config.storage();
        return switch (s.backend()) {
            case FILE -> new FileBackend(s.file().dir(), runner);
            case LVM -> new LvmBackend(new Lvm(runner, s.lvm()), s.lvm());
            case RBD -> new RbdBackend(new RbdCli(runner, s.rbd()));
        };
    }

    @Produces
    @ApplicationScoped
    ExportDriver driver(TetherConfig config, CommandRunner runner) {
        TetherConfig.Target t = config.storage().target();
        if (config.storage().backend() == TetherConfig.Storage.BackendKind.RBD) {
            return new RbdExportDriver(new RbdCli(runner, config.storage().rbd())); // RBD has no target
        }
        return switch (t.driver()) {
            case TGT -> new TgtDriver(new Tgtadm(runner, t.commandTimeout()), t.tgtConfDir());
            case LIO -> new LioDriver(t.configfsRoot(), t.saveconfig(), t.portals());
        };
    }
}
