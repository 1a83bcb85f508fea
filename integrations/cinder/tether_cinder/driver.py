"""A Cinder volume driver for Tether's storage mode: every call is one call of the agent's REST API.

``cinder.conf``::

    [tether-1]
    volume_driver = tether_cinder.driver.TetherDriver
    volume_backend_name = tether
    tether_url = https://storage-1.example:8443
    tether_token_file = /etc/cinder/tether-storage-1.token
    tether_ca_file = /etc/cinder/tether-ca.pem

The agent owns the volumes, their snapshots, their exports (per initiator, with CHAP) and its pools; this
driver maps Cinder's calls onto them by the ids Cinder chose, so a repeat after a lost answer finds what the
first call made. Cinder's scheduler sees every Tether pool with the capabilities the agent reports and places a
volume on one (``host@backend#pool``); the driver names that pool to the agent. Nothing is attached on the
cinder-volume host: images become volumes through the agent's own import by Glance id.
"""

from oslo_config import cfg
from oslo_log import log as logging

from cinder.common import constants
from cinder import exception
from cinder import interface
from cinder.volume import configuration
from cinder.volume import driver
from cinder.volume import volume_utils

from tether_cinder.client import TetherClient
from tether_cinder.client import TetherProblem
from tether_cinder.client import TetherUnreachable

LOG = logging.getLogger(__name__)

tether_opts = [
    cfg.StrOpt("tether_url", help="The storage agent's API, e.g. https://host:8443"),
    cfg.StrOpt("tether_token_file", help="File holding the agent's API token (tether.api.token-file)"),
    cfg.StrOpt("tether_ca_file", help="CA certificate(s) that sign the agent's certificate; unset = system CAs"),
    cfg.IntOpt("tether_timeout", default=120, help="Seconds one API call may take"),
    cfg.IntOpt("tether_operation_timeout", default=21600,
               help="Seconds an asynchronous operation (a volume from an image) may take"),
]

CONF = cfg.CONF
CONF.register_opts(tether_opts, group=configuration.SHARED_CONF_GROUP)

BUSY = ("volume_busy", "volume_conflict")


@interface.volumedriver
class TetherDriver(driver.VolumeDriver):
    """Tether storage agent as a Cinder backend (iSCSI through LIO or tgt, NVMe/TCP, RBD)."""

    VERSION = "1.0.0"
    VENDOR = "Tether"
    CI_WIKI_NAME = "Tether_CI"

    def __init__(self, *args, **kwargs):
        super(TetherDriver, self).__init__(*args, **kwargs)
        if self.configuration:
            self.configuration.append_config_values(tether_opts)
        self.client = None
        self._stats = {}

    @staticmethod
    def get_driver_options():
        return tether_opts

    def do_setup(self, context):
        conf = self.configuration
        if not conf.safe_get("tether_url"):
            raise exception.InvalidConfigurationValue(option="tether_url", value=None)
        self.client = TetherClient(conf.tether_url, conf.safe_get("tether_token_file"),
                                   conf.safe_get("tether_ca_file"), conf.tether_timeout,
                                   conf.tether_operation_timeout)

    def check_for_setup_error(self):
        """A refusal is a setting to fix (the token, an agent not in storage mode) and stops the backend; an agent
        that does not answer yet is only reported: its pools appear once it does."""
        try:
            self.client.call("GET", "/v1/pools", ok=(200,))
        except TetherUnreachable as e:
            LOG.warning("Tether agent %s does not answer yet (%s); the backend reports no pool until it does",
                        self.configuration.tether_url, e)
        except TetherProblem as p:
            raise exception.VolumeDriverException(message="Tether agent %s refused GET /v1/pools: %s %s: %s "
                                                  "(tether_token_file? is the agent in storage mode?)"
                                                  % (self.configuration.tether_url, p.status, p.code, p.detail))

    # errors -------------------------------------------------------------------------------------------------

    def _call(self, method, path, body=None, ok=(200, 201, 202, 204)):
        """One call of the agent, followed to its end when the agent made it an asynchronous operation (a volume
        from an image, a move, a retype, an upload answer 202 at once): Cinder's call returns only when the
        agent's work is done."""
        try:
            status, data, location = self.client.call(method, path, body, ok)
            if status == 202 and location:
                return 200, self.client.finish(status, data, location), None
            return status, data, location
        except TetherUnreachable as e:
            raise exception.VolumeBackendAPIException(data=str(e))

    def _finish(self, answer):
        try:
            return self.client.finish(*answer)
        except TetherUnreachable as e:
            raise exception.VolumeBackendAPIException(data=str(e))

    @staticmethod
    def _refused(problem):
        """A problem Cinder has no more precise exception for."""
        if problem.status == 400:
            return exception.InvalidInput(reason="%s: %s" % (problem.code, problem.detail))
        return exception.VolumeBackendAPIException(data="%s: %s" % (problem.code, problem.detail))

    # volumes ------------------------------------------------------------------------------------------------

    def _create(self, volume, source=None):
        body = {"id": volume.id, "size_gb": volume.size}
        pool = volume_utils.extract_host(volume.host, "pool")
        if pool:
            body["pool"] = pool
        vtype = volume.volume_type
        if vtype is not None:
            body["volume_type"] = {"name": vtype.name, "extra_specs": dict(vtype.extra_specs or {})}
        if source:
            body["source"] = source
        try:
            self._finish(self._call("POST", "/v1/volumes", body))
        except TetherProblem as p:
            raise self._refused(p)
        return None

    def create_volume(self, volume):
        return self._create(volume)

    def create_volume_from_snapshot(self, volume, snapshot):
        return self._create(volume, {"snapshot_id": snapshot.id})

    def create_cloned_volume(self, volume, src_vref):
        return self._create(volume, {"volume_id": src_vref.id})

    def clone_image(self, context, volume, image_location, image_meta, image_service):
        """Any Glance image becomes the volume through the agent's import (a clone where Glance shares its
        Ceph, else a download checked and converted there); nothing is attached on this host."""
        self._create(volume, {"image": {"glance_id": image_meta["id"]}})
        return {}, True

    def copy_volume_to_image(self, context, volume, image_service, image_meta):
        """The agent gives the image Cinder's API registered (queued) its data: copied inside Ceph where Glance
        shares it, else converted and sent by the agent. Cinder removes the image if this fails."""
        body = {"image_id": image_meta["id"], "existing_image": True, "force": True}
        if image_meta.get("disk_format"):
            body["disk_format"] = image_meta["disk_format"]
        try:
            self._finish(self._call("POST", "/v1/volumes/%s/image" % TetherClient.quote(volume.id), body))
        except TetherProblem as p:
            raise exception.ImageCopyFailure(reason="%s: %s" % (p.code, p.detail))

    def delete_volume(self, volume):
        try:
            self._call("DELETE", "/v1/volumes/" + TetherClient.quote(volume.id), ok=(204, 404))
        except TetherProblem as p:
            if p.code in BUSY:
                raise exception.VolumeIsBusy(volume_name=volume.name)
            raise self._refused(p)

    def extend_volume(self, volume, new_size):
        try:
            self._call("POST", "/v1/volumes/%s/extend" % TetherClient.quote(volume.id), {"new_size_gb": new_size})
        except TetherProblem as p:
            raise self._refused(p)

    # moves --------------------------------------------------------------------------------------------------

    def _same_agent(self, volume, host):
        return volume_utils.extract_host(host["host"], "backend") == volume_utils.extract_host(volume.host, "backend")

    def _move(self, volume, pool):
        """Into another pool of the same agent (a copy checked by reading it back, then the old one goes)."""
        if pool == volume_utils.extract_host(volume.host, "pool"):
            return
        self._call("POST", "/v1/volumes/%s/migrate" % TetherClient.quote(volume.id), {"pool": pool})

    def migrate_volume(self, context, volume, host):
        """A move between pools of this agent is the agent's own; anything else is Cinder's generic copy."""
        if not self._same_agent(volume, host):
            return False, None
        try:
            self._move(volume, volume_utils.extract_host(host["host"], "pool"))
        except TetherProblem as p:
            LOG.info("Tether did not move volume %s (%s: %s); Cinder's generic migration follows",
                     volume.id, p.code, p.detail)
            return False, None
        return True, None

    def retype(self, context, volume, new_type, diff, host):
        """In place when the scheduler chose the volume's own pool, else a move to the chosen pool of this agent
        first; the agent checks the pool against the new type (extra specs, provisioning, QoS consumer)."""
        if not self._same_agent(volume, host):
            return False, None
        try:
            self._move(volume, volume_utils.extract_host(host["host"], "pool"))
            self._call("POST", "/v1/volumes/%s/retype" % TetherClient.quote(volume.id), {
                "volume_type": {"name": new_type.name, "extra_specs": dict(new_type.extra_specs or {})},
                "migration_policy": "never"})
        except TetherProblem as p:
            LOG.info("Tether did not retype volume %s (%s: %s)", volume.id, p.code, p.detail)
            return False, None
        return True, None

    # snapshots ----------------------------------------------------------------------------------------------

    def create_snapshot(self, snapshot):
        try:
            self._call("POST", "/v1/volumes/%s/snapshots" % TetherClient.quote(snapshot.volume_id),
                       {"id": snapshot.id})
        except TetherProblem as p:
            raise self._refused(p)

    def delete_snapshot(self, snapshot):
        try:
            self._call("DELETE", "/v1/snapshots/" + TetherClient.quote(snapshot.id), ok=(204, 404))
        except TetherProblem as p:
            if p.code in BUSY:
                raise exception.SnapshotIsBusy(snapshot_name=snapshot.name)
            raise self._refused(p)

    def revert_to_snapshot(self, context, volume, snapshot):
        try:
            self._call("POST", "/v1/volumes/%s/revert" % TetherClient.quote(volume.id),
                       {"snapshot_id": snapshot.id})
        except TetherProblem as p:
            raise self._refused(p)

    def snapshot_revert_use_temp_snapshot(self):
        return False

    # exports ------------------------------------------------------------------------------------------------

    def create_export(self, context, volume, connector):
        pass

    def ensure_export(self, context, volume):
        pass

    def remove_export(self, context, volume):
        pass

    @staticmethod
    def _initiator(connector):
        return connector.get("initiator") or connector.get("nqn")

    def initialize_connection(self, volume, connector):
        """The agent's export of the volume to this connector: connection_info exactly as it answers it."""
        initiator = self._initiator(connector or {})
        if not initiator:
            raise exception.InvalidConnectorException(missing="initiator or nqn")
        try:
            _, info, _ = self._call("PUT", "/v1/volumes/%s/exports/%s" % (
                TetherClient.quote(volume.id), TetherClient.quote(initiator)), dict(connector), ok=(200,))
        except TetherProblem as p:
            raise self._refused(p)
        return info

    def terminate_connection(self, volume, connector, **kwargs):
        """One initiator's export; with no connector (a forced detach) every export of the volume."""
        vid = TetherClient.quote(volume.id)
        try:
            if connector is None:
                _, record, _ = self._call("GET", "/v1/volumes/" + vid, ok=(200,))
                initiators = [e.get("initiator") for e in (record or {}).get("exports", [])]
            else:
                initiators = [self._initiator(connector)]
            for initiator in filter(None, initiators):
                self._call("DELETE", "/v1/volumes/%s/exports/%s" % (vid, TetherClient.quote(initiator)),
                           ok=(204, 404))
        except TetherProblem as p:
            raise self._refused(p)

    # stats --------------------------------------------------------------------------------------------------

    def get_volume_stats(self, refresh=False):
        if refresh or not self._stats:
            self._update_volume_stats()
        return self._stats

    def _update_volume_stats(self):
        backend = self.configuration.safe_get("volume_backend_name") or "tether"
        try:
            _, pools, _ = self._call("GET", "/v1/pools", ok=(200,))
        except (TetherProblem, exception.VolumeBackendAPIException) as e:
            # Cinder's scheduler must see the backend down, not its last capacity
            LOG.warning("Tether agent %s did not report its pools: %s", self.configuration.tether_url, e)
            pools = []
        reported = []
        for p in pools:
            caps = dict(p.get("capabilities", {}))
            caps.setdefault("volume_backend_name", backend)
            reported.append(caps)
        protocols = {c.get("storage_protocol") for c in reported if c.get("storage_protocol")}
        self._stats = {
            "volume_backend_name": backend,
            "vendor_name": self.VENDOR,
            "driver_version": self.VERSION,
            "storage_protocol": protocols.pop() if len(protocols) == 1 else constants.ISCSI,
            "pools": reported,
            "sparse_copy_volume": True,
        }
