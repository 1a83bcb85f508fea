package org.tether.storage.target;

/**
 * One initiator's access to one volume's target. {@code chapPassword} is secret: no driver logs it.
 */
public record ExportSpec(String iqn, String volumeName, String devicePath, String initiator, String chapUser,
                         String chapPassword) {
    @Override
    public String toString() {
        return "ExportSpec[iqn=" + iqn + ", device=" + devicePath + ", initiator=" + initiator + "]";
    }
}
