"""A tiny client for the ``/_emulator/`` admin endpoint (tests, benchmarks, the node agent)."""

import json
import urllib.parse
import urllib.request


class AdminClient:
    def __init__(self, url, timeout=10):
        self.url = url.rstrip("/")
        self.timeout = timeout
        # Loopback must never go through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + "/_emulator/" + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with self._opener.open(req, timeout=self.timeout) as resp:
            return json.loads(resp.read().decode())

    def state(self):
        return self._call("GET", "state")["state"]

    def counters(self, caller=None):
        """The call counters: the totals, or (caller: an access key id) the calls that caller signed."""
        path = "counters" if caller is None else "counters?" + urllib.parse.urlencode({"caller": caller})
        return self._call("GET", path)["counters"]

    def reset_counters(self):
        return self._call("POST", "counters/reset", {})

    def reset(self, counters=True, faults=True):
        return self._call("POST", "reset", {"counters": counters, "faults": faults})

    def settings(self, **values):
        if values:
            return self._call("POST", "settings", values)["settings"]
        return self._call("GET", "settings")["settings"]

    def faults(self, **values):
        if values:
            return self._call("POST", "faults", values)["faults"]
        return self._call("GET", "faults")["faults"]

    def reset_faults(self):
        return self._call("POST", "faults/reset", {})["faults"]

    def catalog(self):
        """Actions (service, write, versions) and error codes."""
        return self._call("GET", "catalog")
