# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A call log: every HTTP attempt per action, with its outcome and duration (for benchmarks and tests)."""

from __future__ import annotations

import threading
from collections import namedtuple
from typing import Dict, Optional

CallRecord = namedtuple("CallRecord", "service action attempt seconds error_code")


class CallLog:
    """Thread-safe; ``listeners`` are called with each CallRecord as it is added. Holds no parameters."""

    def __init__(self, keep: int = 10000) -> None:
        self.keep = keep
        self.records = []
        self.listeners = []
        self._attempts = {}
        self._calls = {}
        self._lock = threading.Lock()

    def record(self, service: str, action: str, attempt: int, seconds: float, error_code: Optional[str] = None) -> None:
        rec = CallRecord(service, action, attempt, seconds, error_code)
        with self._lock:
            self._attempts[action] = self._attempts.get(action, 0) + 1
            if attempt == 1:
                self._calls[action] = self._calls.get(action, 0) + 1
            self.records.append(rec)
            del self.records[: -self.keep]
        for listener in list(self.listeners):
            listener(rec)

    def counts(self) -> Dict[str, int]:
        """HTTP requests sent per action (retries included)."""
        with self._lock:
            return dict(self._attempts)

    def calls(self) -> Dict[str, int]:
        """Logical calls per action (retries not counted)."""
        with self._lock:
            return dict(self._calls)

    def reset(self) -> None:
        with self._lock:
            self.records, self._attempts, self._calls = [], {}, {}
