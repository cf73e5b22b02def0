"""What every benchmark shares: a result row, the median of repeats, the table, and a client for an emulator."""

import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

HEADERS = ("benchmark", "N", "wall (median)", "API reads", "API writes", "reads/item", "K8s requests", "note")


@dataclass
class Row:
    """One table line: reads and writes are the KSYUN API calls the emulator counted in one repeat.

    kube: Kubernetes API requests, where a benchmark counts them (None: not counted). note: a short remark shown in
    the table (a ratio, an extrapolation). details: what the JSON file keeps besides (calls by kind, for example).
    """

    name: str
    size: int
    seconds: float
    reads: int
    writes: int
    kube: Optional[int] = None
    note: str = ""
    details: Dict[str, Any] = field(default_factory=dict)

    def cells(self):
        per_item = "%.3f" % (self.reads / self.size) if self.size else "-"
        return (
            self.name,
            str(self.size),
            wall(self.seconds),
            str(self.reads),
            str(self.writes),
            per_item,
            "-" if self.kube is None else str(self.kube),
            self.note,
        )

    def as_json(self):
        return {
            "benchmark": self.name,
            "n": self.size,
            "seconds": round(self.seconds, 6),
            "api_reads": self.reads,
            "api_writes": self.writes,
            "k8s_requests": self.kube,
            "note": self.note,
            "details": self.details,
        }


def wall(seconds):
    """Milliseconds below 10 s, seconds above (the reclaim rows run for minutes)."""
    return "%.1f ms" % (seconds * 1000) if seconds < 10 else "%.1f s" % seconds


def client_for(emulator, timeout=None):
    """A KsyunClient on the emulator; a failed call is not retried, so the counters show one request per call.

    timeout: seconds to wait for one answer (the client's default when None).
    """
    return KsyunClient(
        access_key_id="bench",
        secret_access_key="bench",
        region="cn-beijing-6",
        endpoint=emulator.url,
        timeout=timeout,
        retry=RetryPolicy(attempts=1, base_delay=0.0),
    )


def measure(emulator, repeats, run, before=None):
    """Median wall time of ``run()`` over repeats, and the reads and writes of the last repeat (before: untimed setup)."""
    times = []
    counts = {}
    for index in range(repeats):
        if before is not None:
            before(index)
        emulator.counters.reset()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
        counts = emulator.counters.as_dict()
    return statistics.median(times), counts["total_reads"], counts["total_writes"]


LEFT = (0, len(HEADERS) - 1)


def table(rows):
    """The rows as one plain-text table (Markdown-compatible)."""
    lines = [HEADERS] + [row.cells() for row in rows]
    widths = [max(len(line[col]) for line in lines) for col in range(len(HEADERS))]
    out = []
    for number, line in enumerate(lines):
        cells = [
            cell.ljust(width) if col in LEFT else cell.rjust(width)
            for col, (cell, width) in enumerate(zip(line, widths))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if number == 0:
            out.append(
                "|"
                + "|".join(
                    "-" * (width + 2) if col in LEFT else "-" * (width + 1) + ":" for col, width in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(out)


def wait_for(what, predicate, timeout=120.0, interval=0.2):
    """Poll predicate until it is true; RuntimeError naming what was awaited after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise RuntimeError("timed out waiting for %s" % what)


def gone(call):
    """call() (a Kubernetes delete or read); True when the object is not there (404)."""
    try:
        call()
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


_METRIC = "apiserver_request_total{"
_LABEL = re.compile(r'(\w+)="([^"]*)"')
_UNCOUNTED = ("/healthz", "/readyz", "/livez", "/metrics")


def apiserver_request_lines(api):
    """(labels, count) of each apiserver_request_total line of the apiserver's /metrics; WATCH (the controllers watch
    every resource) and health checks left out. The callers name the kinds they count."""
    response = api.call_api("GET", api.configuration.host + "/metrics")
    response.read()
    for line in response.data.decode().splitlines():
        if not line.startswith(_METRIC):
            continue
        labels, value = line[len(_METRIC) :].rsplit("} ", 1)
        label = dict(_LABEL.findall(labels))
        if label.get("verb") == "WATCH" or label.get("subresource") in _UNCOUNTED:
            continue
        yield label, int(float(value))
