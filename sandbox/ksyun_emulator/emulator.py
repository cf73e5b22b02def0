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

from .actions import KCE_SERVICES
from .counters import Counters
from .errors import ApiError, invalid
from .faults import Faults
from .kce_params import KceParams
from .kce_platform import KceRuntime
from .params import Params
from .routing import resolve
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
    """``Emulator(topology).start() -> port``; ``.stop()``. ``topology`` is a YAML path or a dict.

    ``kubeconfig``: the sandbox kubeconfig DownloadClusterConfig turns into a self-contained one.
    ``platform_kubeconfig``: run as the sandbox's platform (a VpcCNI change calls sandbox.platform.reconcile_vpc_cni
    with it); ``platform_reconcile`` replaces that function (a callable ``(kubeconfig, cluster dict)``).
    """

    def __init__(
        self,
        topology,
        settings=None,
        faults=None,
        state_file=None,
        host="127.0.0.1",
        port=0,
        verbose=False,
        kubeconfig=None,
        platform_kubeconfig=None,
        platform_reconcile=None,
    ):  # pylint: disable=too-many-arguments
        check_loopback(host)
        self.topology = load(topology)
        self.settings = Settings().update(settings or {})
        self.faults = Faults()
        if faults:
            self.faults.configure(faults)
        self.counters = Counters()
        self.state = State(self.topology, self.settings, state_file)
        self.kce = KceRuntime(self.state, kubeconfig, platform_kubeconfig, platform_reconcile)
        self.state.kce_runtime = self.kce
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
        self.kce.resume()
        return self.port

    def stop(self):
        self.kce.reset()  # a reconcile still running must not write this state (file) any more
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
        self.kce.reset()
        self.state.reset()
        if counters:
            self.counters.reset()
        if faults:
            self.faults.reset()

    def error_body(self, exc):
        return {"RequestId": str(uuid.uuid4()), "Error": {"Type": exc.type, "Code": exc.code, "Message": exc.message}}

    def _check_request(self, flat, headers):
        route = resolve(flat, headers)
        if self.settings.require_auth:
            scope = _SCOPE.search(headers.get("Authorization") or "")
            if not scope:
                raise ApiError("MissingAuthenticationToken", "Request is missing a SigV4 Authorization header.")
            region, signed_service = scope.groups()
            if signed_service != route.service:
                raise ApiError(
                    "InvalidAction",
                    "The action %s belongs to service %s but the request was signed for %s."
                    % (route.name, route.service, signed_service),
                )
            if region != self.state.data["region"]:
                raise invalid("Region", region, "this endpoint serves region %s" % self.state.data["region"])
        return route

    def _params(self, route, flat, body_format):
        if route.service not in KCE_SERVICES:
            return Params(flat, self.settings.accept_zero_based_lists)
        if body_format == "json" and route.body != "json":
            raise ApiError(
                "InvalidParameterValue",
                "The action %s takes form-encoded parameters (application/x-www-form-urlencoded), not a JSON body."
                % route.name,
            )
        return KceParams(flat, self.settings.accept_zero_based_lists, self.settings.kce_strict_booleans)

    def _answer(self, route, result):
        key = route.request_id if route.service in KCE_SERVICES else "RequestId"
        if route.service in KCE_SERVICES and not self.settings.kce_request_id_quirks:
            key = "RequestId"
        return dict({key: str(uuid.uuid4())}, **result) if key else result

    def execute(self, flat, headers, body_format="form"):
        """``(status, payload)`` for one API call; ``body_format`` is "json" when the parameters came as JSON."""
        service = None
        try:
            route = self._check_request(flat, headers)
            service = route.service
            params = self._params(route, flat, body_format)
            with self.state.lock:
                self.state.settle()
                result = route.handler(self.state, params)
                if route.write:
                    self.state.save()
            return 200, self._answer(route, result)
        except ApiError as exc:
            service = service or getattr(exc, "service", None)
            status = 200 if service in KCE_SERVICES and self.settings.kce_errors_http_200 else exc.status
            return status, self.error_body(exc)
        except Exception:  # noqa: BLE001 - any bug must still answer like a server, not hang the client
            traceback.print_exc(file=sys.stderr)
            return 500, self.error_body(
                ApiError("INTERNAL_FAILURE", "The emulator failed while handling the request.", 500)
            )
