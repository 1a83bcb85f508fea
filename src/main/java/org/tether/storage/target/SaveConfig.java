package org.tether.storage.target;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes the live LIO tree as rtslib's saveconfig.json, so {@code targetcli} shows and {@code target.service}
 * restores the same targets. The whole tree is saved (as targetcli does), not only Tether's targets, so
 * nothing someone else configured is dropped at the next restore. It holds CHAP secrets: mode 0600.
 */
public class SaveConfig {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;

    public SaveConfig(Path file) {
        this.file = file;
    }

    public void save(Configfs fs) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("fabric_modules");
        ArrayNode storage = root.putArray("storage_objects");
        for (Path hba : fs.list(fs.root().resolve("core"))) {
            String h = hba.getFileName().toString();
            int us = h.lastIndexOf('_');
            if (us < 0) {
                continue;
            }
            String plugin = h.substring(0, us).equals("iblock") ? "block" : h.substring(0, us);
            for (Path so : fs.list(hba)) {
                if (!java.nio.file.Files.isDirectory(so)) {
                    continue;
                }
                ObjectNode o = storage.addObject();
                o.put("name", so.getFileName().toString());
                o.put("plugin", plugin);
                o.put("dev", fs.read(so.resolve("udev_path")));
                o.put("readonly", false);
                o.put("write_back", false);
                String wwn = fs.read(so.resolve("wwn/vpd_unit_serial"));
                if (!wwn.isEmpty()) {
                    o.put("wwn", wwn.contains(":") ? wwn.substring(wwn.indexOf(':') + 1).strip() : wwn);
                }
            }
        }
        ArrayNode targets = root.putArray("targets");
        for (Path target : fs.list(fs.root().resolve("iscsi"))) {
            if (!Files.isDirectory(target) || !target.getFileName().toString().contains(".")) {
                continue; // discovery_auth and other fabric attributes live beside the targets
            }
            ObjectNode t = targets.addObject();
            t.put("fabric", "iscsi");
            t.put("wwn", target.getFileName().toString());
            ArrayNode tpgs = t.putArray("tpgs");
            for (Path tpg : fs.list(target)) {
                String name = tpg.getFileName().toString();
                if (name.startsWith("tpgt_")) {
                    tpgs.add(tpg(fs, tpg, Integer.parseInt(name.substring("tpgt_".length()))));
                }
            }
        }
        write(root);
    }

    private static ObjectNode tpg(Configfs fs, Path tpg, int tag) {
        ObjectNode o = JSON.createObjectNode();
        o.put("tag", tag);
        o.put("enable", "1".equals(fs.read(tpg.resolve("enable"))));
        ObjectNode attrs = o.putObject("attributes");
        for (String a : new String[] {"authentication", "generate_node_acls", "demo_mode_write_protect"}) {
            String v = fs.read(tpg.resolve("attrib").resolve(a));
            if (!v.isEmpty()) {
                attrs.put(a, Integer.parseInt(v));
            }
        }
        o.putObject("parameters");
        ArrayNode portals = o.putArray("portals");
        for (Path np : fs.list(tpg.resolve("np"))) {
            String s = np.getFileName().toString();
            int colon = s.lastIndexOf(':');
            ObjectNode p = portals.addObject();
            p.put("ip_address", s.substring(0, colon));
            p.put("port", Integer.parseInt(s.substring(colon + 1)));
        }
        ArrayNode luns = o.putArray("luns");
        for (Path lun : fs.list(tpg.resolve("lun"))) {
            for (Path link : fs.list(lun)) {
                if (Files.isSymbolicLink(link)) {
                    ObjectNode l = luns.addObject();
                    l.put("index", Integer.parseInt(lun.getFileName().toString().substring("lun_".length())));
                    l.put("storage_object", "/backstores/block/" + link.getFileName());
                }
            }
        }
        ArrayNode acls = o.putArray("node_acls");
        for (Path acl : fs.list(tpg.resolve("acls"))) {
            ObjectNode a = acls.addObject();
            a.put("node_wwn", acl.getFileName().toString());
            a.put("chap_userid", fs.read(acl.resolve("auth/userid")));
            a.put("chap_password", fs.read(acl.resolve("auth/password")));
            ArrayNode mapped = a.putArray("mapped_luns");
            for (Path m : fs.list(acl)) {
                String n = m.getFileName().toString();
                if (n.startsWith("lun_")) {
                    ObjectNode ml = mapped.addObject();
                    ml.put("index", Integer.parseInt(n.substring("lun_".length())));
                    ml.put("tpg_lun", LioDriver.LUN);
                    ml.put("write_protect", "1".equals(fs.read(m.resolve("write_protect"))));
                }
            }
        }
        return o;
    }

    private void write(ObjectNode root) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, JSON.writeValueAsBytes(root));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.TARGET_FAILED, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
