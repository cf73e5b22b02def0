"""The emulator's lifecycle and the API entry: auth/version/action checks, then one action under the state lock."""

import ipaddress
import itertools
import re
import socket
import sys
import threading
import traceback
import uuid
from http.server import ThreadingHTTPServer

from .actions import ACTIONS, version_of
from .counters import Counters
from .errors import ApiError, invalid, missing
from .faults import Faults
from .params import Params
from .server import Handler
from .settings import Settings
from .state import State
from .topology import load

_SCOPE = re.compile(r"Credential=[^/]*/\d{8}/([^/]+)/([^/]+)/aws4_request")


def check_loopback(host):
    """The emulator never listens beyond this machine."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError("the emulator only listens on loopback (127.0.0.1, ::1 or localhost), not %r" % host)


class Emulator:
    """``Emulator(topology).start() -> port``; ``.stop()``. ``topology`` is a YAML path or a dict."""

    def __init__(self, topology, settings=None, faults=None, state_file=None, host="127.0.0.1", port=0, verbose=False):
        check_loopback(host)
        self.topology = load(topology)
        self.settings = Settings().update(settings or {})
        self.faults = Faults()
        if faults:
            self.faults.configure(faults)
        self.counters = Counters()
        self.state = State(self.topology, self.settings, state_file)
        self.host, self.port, self.verbose = host, port, verbose
        self._server = None
        self._thread = None
        # TCP connections accepted (HTTP/1.1 keep-alive: a client that reuses its connection opens one).
        self.connections = itertools.count(1)
        self.connections_opened = 0

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    @property
    def endpoint(self):
        """``host:port`` without a scheme, the form the SDK needs."""
        return self.url.split("://", 1)[1]

    def start(self):
        handler = type("BoundHandler", (Handler,), {"emulator": self})
        server_class = ThreadingHTTPServer
        if ":" in self.host:
            server_class = type("V6Server", (ThreadingHTTPServer,), {"address_family": socket.AF_INET6})
        self._server = server_class((self.host, self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="ksyun-emulator", daemon=True
        )
        self._thread.start()
        return self.port

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def reset(self, counters=True, faults=True):
        self.state.reset()
        if counters:
            self.counters.reset()
        if faults:
            self.faults.reset()

    def error_body(self, exc):
        return {"RequestId": str(uuid.uuid4()), "Error": {"Type": exc.type, "Code": exc.code, "Message": exc.message}}

    def _check_request(self, flat, headers):
        action_name = flat.get("Action")
        if not action_name:
            raise missing("Action")
        action = ACTIONS.get(action_name)
        if action is None:
            raise ApiError(
                "InvalidAction",
                "The action %s is not valid for this web service (emulated: %s)."
                % (action_name, ", ".join(sorted(ACTIONS))),
            )
        version = flat.get("Version")
        if not version:
            raise missing("Version")
        if version != version_of(action.service):
            raise invalid(
                "Version", version, "service %s is served at version %s" % (action.service, version_of(action.service))
            )
        service = flat.get("Service")
        if service and service != action.service:
            raise ApiError(
                "InvalidAction", "The action %s belongs to service %s, not %s." % (action_name, action.service, service)
            )
        if self.settings.require_auth:
            scope = _SCOPE.search(headers.get("Authorization") or "")
            if not scope:
                raise ApiError("MissingAuthenticationToken", "Request is missing a SigV4 Authorization header.")
            region, signed_service = scope.groups()
            if signed_service != action.service:
                raise ApiError(
                    "InvalidAction",
                    "The action %s belongs to service %s but the request was signed for %s."
                    % (action_name, action.service, signed_service),
                )
            if region != self.state.data["region"]:
                raise invalid("Region", region, "this endpoint serves region %s" % self.state.data["region"])
        return action

    def execute(self, flat, headers):
        """``(status, payload)`` for one API call."""
        try:
            action = self._check_request(flat, headers)
            params = Params(flat, self.settings.accept_zero_based_lists)
            with self.state.lock:
                self.state.settle()
                result = action.handler(self.state, params)
                if action.write:
                    self.state.save()
            return 200, dict({"RequestId": str(uuid.uuid4())}, **result)
        except ApiError as exc:
            return exc.status, self.error_body(exc)
        except Exception:  # noqa: BLE001 - any bug must still answer like a server, not hang the client
            traceback.print_exc(file=sys.stderr)
            return 500, self.error_body(
                ApiError("INTERNAL_FAILURE", "The emulator failed while handling the request.", 500)
            )
