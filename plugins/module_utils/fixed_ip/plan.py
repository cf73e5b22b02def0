# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan: what a flow decided, as ordered actions plus the record it leaves behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import Action, WriteReservation, describe_plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Reservation


@dataclass(frozen=True)
class Plan:
    """Run actions in order; after a failure take new snapshots and plan again (flows are level-triggered).

    reservation: the record once the plan has run (None: deleted or never made; may hold Refs).
    reason: why nothing, or less than asked, was planned. retry: plan again shortly (a transient cloud state).
    warnings: text for Warning events on the pod.
    """

    actions: Tuple[Action, ...] = ()
    reservation: Optional[Reservation] = None
    warnings: Tuple[str, ...] = ()
    reason: str = ""
    retry: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    def describe(self) -> Tuple[str, ...]:
        return describe_plan(self.actions)


class Steps:
    """Collects actions while tracking the record as it will be after them (writes only real changes)."""

    def __init__(self, record: Optional[Reservation] = None) -> None:
        self.actions: List[Action] = []
        self.record = record
        self.warnings: List[str] = []

    def add(self, *actions: Action) -> None:
        self.actions.extend(actions)

    def write(self, reservation: Reservation) -> None:
        if reservation != self.record:
            self.actions.append(WriteReservation(reservation))
            self.record = reservation

    def plan(self, warnings: Tuple[str, ...] = (), reason: str = "") -> Plan:
        return Plan(tuple(self.actions), self.record, tuple(warnings) + tuple(self.warnings), reason)
