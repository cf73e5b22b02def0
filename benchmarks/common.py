"""What every benchmark shares: a result row, the median of repeats, the table, and a client for an emulator."""

import statistics
import time
from dataclasses import dataclass

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

HEADERS = ("benchmark", "N", "wall (median)", "API reads", "API writes", "reads/item")


@dataclass
class Row:
    """One table line: reads and writes are the KSYUN API calls the emulator counted in one repeat."""

    name: str
    size: int
    seconds: float
    reads: int
    writes: int

    def cells(self):
        per_item = "%.3f" % (self.reads / self.size) if self.size else "-"
        return (
            self.name,
            str(self.size),
            "%.1f ms" % (self.seconds * 1000),
            str(self.reads),
            str(self.writes),
            per_item,
        )


def client_for(emulator):
    """A KsyunClient on the emulator; a failed call is not retried, so the counters show one request per call."""
    return KsyunClient(
        access_key_id="bench",
        secret_access_key="bench",
        region="cn-beijing-6",
        endpoint=emulator.url,
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


def table(rows):
    """The rows as one plain-text table (Markdown-compatible)."""
    lines = [HEADERS] + [row.cells() for row in rows]
    widths = [max(len(line[col]) for line in lines) for col in range(len(HEADERS))]
    out = []
    for number, line in enumerate(lines):
        cells = [
            cell.ljust(width) if col == 0 else cell.rjust(width) for col, (cell, width) in enumerate(zip(line, widths))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if number == 0:
            out.append(
                "|"
                + "|".join(
                    "-" * (width + 2) if col == 0 else "-" * (width + 1) + ":" for col, width in enumerate(widths)
                )
                + "|"
            )
    return "\n".join(out)
