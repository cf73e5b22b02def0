# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policy: how many attempts, and a jittered exponential backoff between them."""

from __future__ import annotations

import random
from typing import Optional


class RetryPolicy:
    """``attempts`` includes the first call. ``retry_ambiguous_writes`` re-sends a mutating call whose
    connection broke after it was sent (it may have been applied, so the default is to stop and say so)."""

    def __init__(
        self,
        attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 10.0,
        retry_ambiguous_writes: bool = False,
        seed: Optional[int] = None,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1, got %r" % attempts)
        if base_delay < 0 or max_delay < 0:
            raise ValueError("delays must not be negative")
        self.attempts = int(attempts)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)
        self.retry_ambiguous_writes = retry_ambiguous_writes
        self._rng = random.Random(seed)

    def delay(self, attempt: int) -> float:
        """Seconds to sleep after failed attempt ``attempt`` (1-based): half fixed, half random ("equal jitter")."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def __repr__(self):
        return "RetryPolicy(attempts=%d, base_delay=%r, max_delay=%r, retry_ambiguous_writes=%r)" % (
            self.attempts,
            self.base_delay,
            self.max_delay,
            self.retry_ambiguous_writes,
        )
