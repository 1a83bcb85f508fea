"""The driver against a session that answers as the agent does (problem+json, 202 and operations), with
Cinder's own exceptions and volume_utils from Debian's cinder package: each refusal becomes the exception Cinder's
volume manager acts on. No socket (Cinder's import makes sockets green, and a server thread beside them hangs);
the real agent, HTTP and the real cinder-volume are in CinderDriverIT.

    cd integrations/cinder && PYTHONPATH=. /usr/bin/python3 -m unittest tests.test_driver
"""

import json
import os
import tempfile
import types
import unittest
import urllib.parse
from unittest import mock

import requests
from cinder import exception

from tether_cinder import driver as tether_driver


class Reply(object):
    def __init__(self, status, body, headers):
        self.status_code = status
        self.content = json.dumps(body).encode() if body is not None else b""
        self.text = self.content.decode()
        self.headers = headers

    def json(self):
        return json.loads(self.content)


class Agent(object):
    """Answers from a table of (method, path) -> (status, body, headers); records every request; down refuses."""

    def __init__(self):
        self.routes = {}
        self.seen = []
        self.down = False

    def request(self, method, url, json=None, headers=None, timeout=None, verify=None):
        if self.down:
            raise requests.ConnectionError("[Errno 111] Connection refused")
        path = urllib.parse.urlparse(url).path
        self.seen.append((method, path, json, (headers or {}).get("Authorization")))
        status, body, extra = self.routes.get((method, path), (404, {"code": "not_found"}, {}))
        return Reply(status, body, extra)


def problem(status, code, detail="", field=None):
    return status, {"code": code, "detail": detail, "field": field, "status": status}, {}


class DriverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.token = tempfile.NamedTemporaryFile("w", delete=False)
        cls.token.write("secret-token\n")
        cls.token.close()

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.token.name)

    def setUp(self):
        values = {"tether_url": "http://agent.example:8443", "tether_token_file": self.token.name,
                  "tether_ca_file": None, "tether_timeout": 5, "tether_operation_timeout": 5,
                  "volume_backend_name": "tether"}
        conf = mock.MagicMock()
        conf.safe_get.side_effect = lambda k: values.get(k)
        for k, v in values.items():
            setattr(conf, k, v)
        self.driver = tether_driver.TetherDriver(configuration=conf)
        self.driver.do_setup(None)
        self.agent = Agent()
        self.driver.client.session = self.agent
        self.driver.client.poll_interval = 0.01

    @staticmethod
    def volume(vid="6a3f2e0e-1111-4c1c-9a59-3c1b5d2f0001", pool="gold", size=1):
        vtype = types.SimpleNamespace(name="gold-type", extra_specs={"volume_backend_name": "tether-gold"})
        return types.SimpleNamespace(id=vid, name="volume-" + vid, size=size, host="h@tether#" + pool,
                                     volume_type=vtype)

    def test_a_create_names_the_pool_cinder_chose_and_the_type_and_sends_the_token(self):
        v = self.volume()
        self.agent.routes[("POST", "/v1/volumes")] = (201, {"id": v.id}, {})
        self.driver.create_volume(v)
        method, path, body, auth = self.agent.seen[0]
        self.assertEqual(body, {"id": v.id, "size_gb": 1, "pool": "gold", "volume_type": {
            "name": "gold-type", "extra_specs": {"volume_backend_name": "tether-gold"}}})
        self.assertEqual(auth, "Bearer secret-token")

    def test_every_call_is_logged_with_its_answer_and_time_and_never_the_token(self):
        v = self.volume()
        self.agent.routes[("POST", "/v1/volumes")] = (202, {"id": "op-9"}, {"Location": "/v1/operations/op-9"})
        self.agent.routes[("GET", "/v1/operations/op-9")] = (200, {"state": "succeeded", "status": 201}, {})
        with self.assertLogs("tether_cinder.client", level="DEBUG") as logs:
            self.driver.create_volume(v)
        info = [r.getMessage() for r in logs.records if r.levelname == "INFO"]
        self.assertEqual(len(info), 1, info)
        self.assertRegex(info[0], r"^Tether agent: POST /v1/volumes answered 202 in \d+\.\d ms$")
        self.assertTrue(any("GET /v1/operations/op-9 answered 200" in r.getMessage()
                            for r in logs.records if r.levelname == "DEBUG"))
        self.assertFalse(any("secret-token" in r.getMessage() for r in logs.records))

    def test_an_image_is_the_agents_import_followed_to_its_end(self):
        v = self.volume()
        self.agent.routes[("POST", "/v1/volumes")] = (202, {"id": "op-1"}, {"Location": "/v1/operations/op-1"})
        self.agent.routes[("GET", "/v1/operations/op-1")] = (200, {"state": "succeeded", "status": 201,
                                                             "result": {"id": v.id}}, {})
        self.assertEqual(self.driver.clone_image(None, v, None, {"id": "img-1"}, None), ({}, True))
        self.assertEqual(self.agent.seen[0][2]["source"], {"image": {"glance_id": "img-1"}})

    def test_a_failed_import_is_cinders_invalid_input_with_the_agents_code(self):
        v = self.volume()
        self.agent.routes[("POST", "/v1/volumes")] = (202, {"id": "op-2"}, {"Location": "/v1/operations/op-2"})
        self.agent.routes[("GET", "/v1/operations/op-2")] = (200, {"state": "failed", "status": 400, "result": {
            "code": "image_too_large", "detail": "needs 3 GiB", "field": "size_gb"}}, {})
        with self.assertRaises(exception.InvalidInput) as caught:
            self.driver.clone_image(None, v, None, {"id": "img-2"}, None)
        self.assertIn("image_too_large", str(caught.exception))

    def test_a_busy_volume_or_snapshot_is_what_cinder_puts_back_to_available(self):
        v = self.volume()
        self.agent.routes[("DELETE", "/v1/volumes/" + v.id)] = problem(409, "volume_busy", "exported to iqn.x")
        with self.assertRaises(exception.VolumeIsBusy):
            self.driver.delete_volume(v)
        snap = types.SimpleNamespace(id="s-1", name="snapshot-s-1", volume_id=v.id)
        self.agent.routes[("DELETE", "/v1/snapshots/s-1")] = problem(409, "volume_busy", "has clones")
        with self.assertRaises(exception.SnapshotIsBusy):
            self.driver.delete_snapshot(snap)

    def test_a_volume_the_agent_does_not_have_is_deleted_already(self):
        self.driver.delete_volume(self.volume())   # the table answers 404
        self.driver.delete_snapshot(types.SimpleNamespace(id="s-2", name="x", volume_id="v"))

    def test_an_agent_that_is_down_is_a_backend_error_and_reports_no_pool(self):
        self.agent.down = True
        with self.assertRaises(exception.VolumeBackendAPIException):
            self.driver.extend_volume(self.volume(), 2)
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual(stats["pools"], [])
        self.driver.check_for_setup_error()   # only a warning: the pools appear once it answers

    def test_a_refusal_at_setup_stops_the_backend(self):
        self.agent.routes[("GET", "/v1/pools")] = problem(401, "unauthorized", "no token")
        with self.assertRaises(exception.VolumeDriverException):
            self.driver.check_for_setup_error()

    def test_pools_are_reported_as_the_agent_reports_them(self):
        self.agent.routes[("GET", "/v1/pools")] = (200, [
            {"name": "h@tether-gold#gold", "capabilities": {"pool_name": "gold", "volume_backend_name": "tether-gold",
                                                           "free_capacity_gb": 10, "storage_protocol": "iSCSI"}},
            {"name": "h@file#silver", "capabilities": {"pool_name": "silver", "free_capacity_gb": 5,
                                                      "storage_protocol": "iSCSI"}}], {})
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual([p["pool_name"] for p in stats["pools"]], ["gold", "silver"])
        self.assertEqual(stats["pools"][1]["volume_backend_name"], "tether")
        self.assertEqual(stats["storage_protocol"], "iSCSI")

    def test_an_export_is_the_connectors_initiator_and_the_answer_is_passed_on(self):
        v = self.volume()
        iqn = "iqn.1993-08.org.debian:01:abc"
        info = {"driver_volume_type": "iscsi", "data": {"target_iqn": "iqn.x", "auth_method": "CHAP"}}
        # the initiator quoted in the path (an IQN's colons, and nothing of it read as a path)
        self.agent.routes[("PUT", "/v1/volumes/%s/exports/%s" % (v.id, iqn.replace(":", "%3A")))] = (200, info, {})
        self.assertEqual(self.driver.initialize_connection(v, {"initiator": iqn, "host": "c1"}), info)
        with self.assertRaises(exception.InvalidConnectorException):
            self.driver.initialize_connection(v, {"host": "c1"})

    def test_a_forced_detach_ends_every_export(self):
        v = self.volume()
        self.agent.routes[("GET", "/v1/volumes/" + v.id)] = (200, {"exports": [{"initiator": "iqn.a"},
                                                                          {"initiator": "iqn.b"}]}, {})
        self.agent.routes[("DELETE", "/v1/volumes/%s/exports/iqn.a" % v.id)] = (204, None, {})
        self.driver.terminate_connection(v, None)
        self.assertEqual([(m, p) for m, p, _, _ in self.agent.seen if m == "DELETE"],
                         [("DELETE", "/v1/volumes/%s/exports/iqn.a" % v.id),
                          ("DELETE", "/v1/volumes/%s/exports/iqn.b" % v.id)])

    def test_a_retype_to_another_pool_waits_for_the_agents_move_before_it_retypes(self):
        v = self.volume(pool="gold")
        self.agent.routes[("POST", "/v1/volumes/%s/migrate" % v.id)] = (202, {"id": "m"}, {"Location": "/v1/operations/m"})
        self.agent.routes[("GET", "/v1/operations/m")] = (200, {"state": "succeeded", "status": 200, "result": {}}, {})
        self.agent.routes[("POST", "/v1/volumes/%s/retype" % v.id)] = (202, {"id": "r"}, {"Location": "/v1/operations/r"})
        self.agent.routes[("GET", "/v1/operations/r")] = (200, {"state": "succeeded", "status": 200, "result": {}}, {})
        new_type = types.SimpleNamespace(name="silver-type", extra_specs={"volume_backend_name": "tether-silver"})
        self.assertEqual(self.driver.retype(None, v, new_type, {}, {"host": "h@tether#silver"}), (True, None))
        self.assertEqual([(m, p) for m, p, _, _ in self.agent.seen], [
            ("POST", "/v1/volumes/%s/migrate" % v.id), ("GET", "/v1/operations/m"),
            ("POST", "/v1/volumes/%s/retype" % v.id), ("GET", "/v1/operations/r")])
        self.assertEqual(self.agent.seen[0][2], {"pool": "silver"})

    def test_a_move_the_agent_fails_is_left_to_cinder(self):
        v = self.volume(pool="gold")
        self.agent.routes[("POST", "/v1/volumes/%s/migrate" % v.id)] = (202, {"id": "m"}, {"Location": "/v1/operations/m"})
        self.agent.routes[("GET", "/v1/operations/m")] = (200, {"state": "failed", "status": 409, "result": {
            "code": "volume_busy", "detail": "exported"}}, {})
        self.assertEqual(self.driver.migrate_volume(None, v, {"host": "h@tether#silver"}), (False, None))

    def test_a_move_to_another_agent_is_left_to_cinder(self):
        v = self.volume()
        self.assertEqual(self.driver.migrate_volume(None, v, {"host": "other@tether2#gold"}), (False, None))
        self.assertEqual(self.agent.seen, [])


if __name__ == "__main__":
    unittest.main()
