"""Per-action call counters, split into reads and writes (a write is any mutating action)."""

import threading


class Counters:
    """Calls received per action, split into reads and writes, plus the faults injected."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.reads, self.writes, self.faults = {}, {}, {}

    def count(self, action, write):
        with self.lock:
            table = self.writes if write else self.reads
            table[action] = table.get(action, 0) + 1

    def fault(self, kind):
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def as_dict(self):
        with self.lock:
            return {
                "reads": dict(self.reads),
                "writes": dict(self.writes),
                "faults": dict(self.faults),
                "total_reads": sum(self.reads.values()),
                "total_writes": sum(self.writes.values()),
            }
