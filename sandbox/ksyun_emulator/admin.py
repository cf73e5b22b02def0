"""The JSON admin endpoint under ``/_emulator/``: state, counters, settings, faults, reset."""

from urllib.parse import parse_qs

from .actions import catalog
from .errors import CODES


def _routes(emu, query):
    def state(_body):
        with emu.state.lock:
            emu.state.settle()
            return {"region": emu.state.data["region"], "state": emu.state.data}

    def reset(body):
        emu.reset(counters=body.get("counters", True), faults=body.get("faults", True))
        return {"reset": True}

    def set_settings(body):
        emu.settings.update(body)
        return {"settings": emu.settings.as_dict()}

    def set_faults(body):
        emu.faults.configure(body)
        return {"faults": emu.faults.as_dict()}

    def reset_faults(_body):
        emu.faults.reset()
        return {"faults": emu.faults.as_dict()}

    def reset_counters(_body):
        emu.counters.reset()
        return {"counters": emu.counters.as_dict()}

    return {
        ("GET", "/_emulator/health"): lambda _: {"ok": True, "url": emu.url, "connections": emu.connections_opened},
        ("GET", "/_emulator/state"): state,
        ("POST", "/_emulator/reset"): reset,
        ("GET", "/_emulator/counters"): lambda _: {"counters": emu.counters.as_dict(query.get("caller", [None])[-1])},
        ("POST", "/_emulator/counters/reset"): reset_counters,
        ("GET", "/_emulator/settings"): lambda _: {"settings": emu.settings.as_dict()},
        ("POST", "/_emulator/settings"): set_settings,
        ("GET", "/_emulator/faults"): lambda _: {"faults": emu.faults.as_dict()},
        ("POST", "/_emulator/faults"): set_faults,
        ("POST", "/_emulator/faults/reset"): reset_faults,
        ("GET", "/_emulator/catalog"): lambda _: {
            "actions": catalog(),
            "errors": CODES,
        },
    }


def handle(emu, method, path, body, query=""):
    """``(status, payload)`` for an admin request; ``body`` is the parsed JSON object (or {}), ``query`` the query string
    (``GET /_emulator/counters?caller=<access key id>``: the calls of that caller only)."""
    routes = _routes(emu, parse_qs(query, keep_blank_values=True))
    route = routes.get((method, path.rstrip("/") or path))
    if route is None:
        known = sorted("%s %s" % key for key in routes)
        return 404, {"error": "no admin route %s %s; routes: %s" % (method, path, ", ".join(known))}
    if not isinstance(body, dict):
        return 400, {"error": "admin requests take a JSON object body"}
    try:
        return 200, route(body)
    except ValueError as exc:
        return 400, {"error": str(exc)}
