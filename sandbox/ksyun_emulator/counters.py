"""Per-action call counters, split into reads and writes (a write is any mutating action), in total and per caller."""

import threading


def _tables():
    return {"reads": {}, "writes": {}, "faults": {}}


def _view(tables):
    return {
        "reads": dict(tables["reads"]),
        "writes": dict(tables["writes"]),
        "faults": dict(tables["faults"]),
        "total_reads": sum(tables["reads"].values()),
        "total_writes": sum(tables["writes"].values()),
    }


class Counters:
    """Calls received per action, split into reads and writes, plus the faults injected.

    Every call is counted in the totals and under its caller, the access key id it was signed with ("" when it was
    not signed), so a test can count the calls of its own client on an emulator that others call too (the sandbox's
    node agent polls the cloud while tests run).
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.total = _tables()
            self.callers = {}

    def _bump(self, kind, key, caller):
        for tables in (self.total, self.callers.setdefault(caller or "", _tables())):
            tables[kind][key] = tables[kind].get(key, 0) + 1

    def count(self, action, write, caller=""):
        with self.lock:
            self._bump("writes" if write else "reads", action, caller)

    def fault(self, kind, caller=""):
        with self.lock:
            self._bump("faults", kind, caller)

    def as_dict(self, caller=None):
        """The totals, with each caller's total reads and writes; or, for one caller (an access key id), its calls only."""
        with self.lock:
            if caller is not None:
                return dict(_view(self.callers.get(caller) or _tables()), caller=caller)
            out = _view(self.total)
            out["callers"] = {
                name: {"total_reads": view["total_reads"], "total_writes": view["total_writes"]}
                for name, view in ((name, _view(tables)) for name, tables in sorted(self.callers.items()))
            }
            return out
