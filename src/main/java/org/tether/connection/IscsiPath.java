package org.tether.connection;

/** One way to reach the LUN: portal, target IQN, LUN number. */
public record IscsiPath(Portal portal, String iqn, int lun) {
}
