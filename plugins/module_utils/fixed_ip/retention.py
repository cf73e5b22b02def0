# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retention: how long a released fixed IP is kept before reclaim may free it (the IP reclaim policy)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidRetention

NEVER = "never"
ACCEPTED_FORMS = '"never", or a positive duration of days, hours and minutes such as "30m", "24h", "7d", "1h30m"'

_PART = re.compile(r"(\d+)([dhm])")
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}


@dataclass(frozen=True)
class Retention:
    """Never reclaim (duration None, the product default) or reclaim a duration after release."""

    duration: Optional[timedelta] = None

    @classmethod
    def never(cls) -> "Retention":
        return cls(None)

    @classmethod
    def parse(cls, value: Any) -> "Retention":
        """Parse the user's text; None and "" mean never, as the product page's empty policy does."""
        if value is None:
            return cls.never()
        if isinstance(value, Retention):
            return value
        if not isinstance(value, str):
            raise InvalidRetention("retention %r is not text; use %s" % (value, ACCEPTED_FORMS))
        text = value.strip().lower()
        if text in ("", NEVER):
            return cls.never()
        if not re.fullmatch(r"(\d+[dhm])+", text):
            raise InvalidRetention("retention %r is not understood; use %s" % (value, ACCEPTED_FORMS))
        parts = [(int(number), unit) for number, unit in _PART.findall(text)]
        units = [unit for number, unit in parts]
        if len(set(units)) != len(units) or units != sorted(units, key="dhm".index):
            raise InvalidRetention(
                'retention %r repeats or reorders units; write days, then hours, then minutes, e.g. "1d12h"' % value
            )
        minutes = sum(number * _UNIT_MINUTES[unit] for number, unit in parts)
        if minutes == 0:
            raise InvalidRetention(
                'retention %r is zero; use "never" or a positive duration (a pod that needs no kept IP should not ask '
                "for a fixed IP)" % value
            )
        return cls(timedelta(minutes=minutes))

    @property
    def is_never(self) -> bool:
        return self.duration is None

    def reclaim_at(self, released_at: Optional[datetime]) -> Optional[datetime]:
        """When reclaim may free an IP released at released_at; None means never (or not released)."""
        if self.duration is None or released_at is None:
            return None
        return released_at + self.duration

    def __str__(self) -> str:
        if self.duration is None:
            return NEVER
        minutes = int(self.duration.total_seconds() // 60)
        if minutes % _UNIT_MINUTES["d"] == 0:
            return "%dd" % (minutes // _UNIT_MINUTES["d"])
        hours, rest = divmod(minutes, 60)
        return ("%dh" % hours if hours else "") + ("%dm" % rest if rest else "")
