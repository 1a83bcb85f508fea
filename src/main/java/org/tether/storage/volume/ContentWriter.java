package org.tether.storage.volume;

/**
 * Makes a new volume's bytes some other way than the backend's own create, clone or snapshot copy (from an
 * image). It creates the backend volume itself; whatever it leaves behind on failure, the volume service
 * deletes. It reports its phases, which the volume's record shows.
 */
public interface ContentWriter {

    void write(VolumeRecord volume, Phases phases);

    /** Told each phase change (and progress within it) of a volume being written. */
    interface Phases {
        void phase(VolumeRecord.State state, Integer percent);
    }
}
