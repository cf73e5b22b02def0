"""HTTP: parse a KSYUN call (query string and form body merged), apply faults, answer JSON."""

import json
import re
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

from . import admin
from .actions import is_write
from .errors import ApiError

_CALLER = re.compile(r"Credential=([^/,\s]+)/")


def caller_of(headers, flat):
    """The access key id a call was signed with (SigV4 scope, else the SDK's Accesskey parameter); "" if none."""
    signed = _CALLER.search(headers.get("Authorization") or "")
    return signed.group(1) if signed else flat.get("Accesskey", "")


def _scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flatten_json(value, prefix=""):
    """A JSON body as flat parameters: objects with dots, lists 1-based (``ClusterIds.1``), booleans lowercase."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(flatten_json(item, "%s.%s" % (prefix, key) if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            out.extend(flatten_json(item, "%s.%d" % (prefix, index)))
    elif value is not None:
        out.append((prefix, _scalar(value)))
    return out


def json_pairs(body):
    """The flat pairs of a JSON object body; an ApiError when it is not one."""
    try:
        doc = json.loads(body) if body.strip() else {}
    except ValueError as exc:
        raise ApiError("InvalidParameterValue", "The request body is not valid JSON (%s)." % exc) from None
    if not isinstance(doc, dict):
        raise ApiError("InvalidParameterValue", "A JSON request body must be an object, not %s." % type(doc).__name__)
    return flatten_json(doc)


def merge_params(query, body, body_is_json=False):
    """One flat dict from query and form (or JSON) body; a key sent in both with different values is refused."""
    flat = dict(parse_qsl(query, keep_blank_values=True))
    pairs = json_pairs(body) if body_is_json else parse_qsl(body, keep_blank_values=True)
    for key, value in pairs:
        if key in flat and flat[key] != value:
            raise ApiError(
                "InvalidParameterValue",
                "The parameter %s was sent twice with different values (%r, %r)." % (key, flat[key], value),
            )
        flat[key] = value
    return flat


class Handler(BaseHTTPRequestHandler):
    server_version = "ksyun-emulator/1"
    # Persistent connections, as the real endpoint keeps them: a client reusing its connection pays one connect, so
    # wall times measure the calls, not connection set-up. Every answer carries Content-Length (_send).
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them
    timeout = 60  # an idle kept-alive connection is closed after a minute, its thread ends
    emulator = None

    def setup(self):
        super().setup()
        self.emulator.connections_opened = next(self.emulator.connections)

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by BaseHTTPRequestHandler
        if self.emulator.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8") if length else ""

    def _send(self, status, payload):
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self):
        url = urlsplit(self.path)
        body = self._body()
        if url.path.startswith("/_emulator/"):
            try:
                payload = json.loads(body) if body.strip() else {}
            except ValueError as exc:
                self._send(400, {"error": "admin body is not JSON: %s" % exc})
                return
            self._send(*admin.handle(self.emulator, self.command, url.path, payload, url.query))
            return
        self._api(url.query, body)

    def _api(self, query, body):
        emu = self.emulator
        is_json = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower() == "application/json"
        try:
            flat = merge_params(query, body, is_json)
        except ApiError as exc:
            flat, early = {}, exc
        else:
            early = None
        action = flat.get("Action", "")
        write = is_write(action)
        caller = caller_of(self.headers, flat)
        emu.counters.count(action or "(no Action)", write, caller)
        decision = emu.faults.decide(action, write, caller)
        if decision.latency:
            time.sleep(decision.latency)
        if decision.kind and decision.kind != "hang_after":
            emu.counters.fault(decision.kind, caller)
        if decision.kind == "hang":
            emu.faults.hold()
            self._drop()
            return
        if decision.kind == "drop":
            self._drop()
            return
        if decision.kind in ("throttle", "error"):
            self._send(decision.status, emu.error_body(ApiError(decision.code, decision.message, decision.status)))
            return
        status, payload = (
            (early.status, emu.error_body(early))
            if early
            else emu.execute(flat, self.headers, "json" if is_json else "form")
        )
        if decision.kind == "hang_after":
            emu.counters.fault(decision.kind, caller)  # counted once the action ran: a killer may act on it
            emu.faults.hold()
        if decision.kind in ("drop_after", "hang_after"):
            self._drop()
            return
        self._send(status, payload)
