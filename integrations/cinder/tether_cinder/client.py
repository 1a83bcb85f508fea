"""Tether's storage REST API over HTTP(S) with its bearer token, and its problems as exceptions.

The agent answers every refusal as problem+json with a stable ``code``; this module keeps that code so the
driver can turn each into the exception Cinder's volume manager expects (``VolumeIsBusy`` puts a volume back
to ``available`` instead of ``error_deleting``). It holds no storage logic of its own.
"""

import logging
import time
import urllib.parse

import requests

LOG = logging.getLogger(__name__)


class TetherProblem(Exception):
    """A problem the agent answered: its HTTP status, stable code, detail and field."""

    def __init__(self, status, code, detail, field=None):
        super().__init__("%s %s: %s" % (status, code, detail))
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field


class TetherUnreachable(Exception):
    """The agent did not answer (connection refused, TLS failure, timeout)."""


class TetherClient(object):
    """One agent: its URL, the token file it was given, the CA that signs its certificate."""

    def __init__(self, url, token_file=None, ca_file=None, timeout=60, operation_timeout=3600,
                 poll_interval=0.2, session=None):
        self.url = url.rstrip("/")
        self.token_file = token_file
        self.verify = ca_file if ca_file else True
        self.timeout = timeout
        self.operation_timeout = operation_timeout
        self.poll_interval = poll_interval
        self.session = session or requests.Session()

    def _headers(self):
        headers = {"Accept": "application/json", "User-Agent": "tether-cinder-driver"}
        if self.token_file:
            # read on every call: an operator who rotates the token needs no restart of cinder-volume
            with open(self.token_file) as f:
                headers["Authorization"] = "Bearer " + f.read().strip()
        return headers

    def call(self, method, path, body=None, ok=(200, 201, 202, 204), poll=False):
        """The agent's answer to one request: (status, JSON body or None, Location header or None).

        Each call is logged with its wall time (INFO; an operation's polls at DEBUG): the agent's share of a
        Cinder request, as an operator reads it from cinder-volume's log."""
        t0 = time.monotonic()
        try:
            r = self.session.request(method, self.url + path, json=body, headers=self._headers(),
                                     timeout=self.timeout, verify=self.verify)
        except requests.RequestException as e:
            raise TetherUnreachable("%s %s: %s" % (method, self.url + path, e))
        LOG.log(logging.DEBUG if poll else logging.INFO, "Tether agent: %s %s answered %d in %.1f ms",
                method, path, r.status_code, (time.monotonic() - t0) * 1000)
        data = None
        if r.content:
            try:
                data = r.json()
            except ValueError:
                data = None
        if r.status_code not in ok:
            problem = data if isinstance(data, dict) else {}
            raise TetherProblem(r.status_code, problem.get("code", "http_%d" % r.status_code),
                                problem.get("detail", r.text[:300]), problem.get("field"))
        return r.status_code, data, r.headers.get("Location")

    def finish(self, status, data, location):
        """The result of a call that may have become an asynchronous operation (202 and its Location)."""
        if status != 202:
            return data
        path = urllib.parse.urlparse(location).path if "://" in location else location
        deadline = time.monotonic() + self.operation_timeout
        while True:
            _, op, _ = self.call("GET", path, ok=(200,), poll=True)
            if op.get("state") != "running":
                break
            if time.monotonic() > deadline:
                raise TetherUnreachable("operation %s still running after %ss" % (location,
                                                                                   self.operation_timeout))
            time.sleep(self.poll_interval)
        result = op.get("result") or {}
        if op.get("status", 500) >= 300:
            raise TetherProblem(op.get("status"), result.get("code", "operation_failed"),
                                result.get("detail", "operation %s failed" % location), result.get("field"))
        return result

    @staticmethod
    def quote(segment):
        return urllib.parse.quote(str(segment), safe="")
