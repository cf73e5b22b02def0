# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for an ENI: one loop, named predicates (the pattern of kubernetes.core's k8s/waiter.py).

A predicate takes the ENI as the read model shows it (read_model.eni_state normalises the API's
state words, so no caller tests them itself) and says whether the wait is over.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EniSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunGoneError, KsyunTimeoutError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import eni_snapshot

Predicate = Callable[[EniSnapshot], bool]
# First polls are quick because most attachments settle within seconds; later ones spare the API.
PHASES: Tuple[Tuple[float, Optional[float]], ...] = ((0.1, 1.0), (0.5, 5.0), (2.0, None))


def settled(eni: EniSnapshot) -> bool:
    """No attach or detach is in flight."""
    return not eni.is_transient


def attached_to(instance_id: Optional[str]) -> Predicate:
    """Settled and attached to instance_id (None: settled and detached)."""

    def predicate(eni: EniSnapshot) -> bool:
        return settled(eni) and eni.instance_id == (instance_id or None)

    predicate.__name__ = "attached to instance %s" % instance_id if instance_id else "detached"
    return predicate


def goal(predicate: Predicate) -> str:
    return predicate.__name__.replace("_", " ")


def wait_for_eni(
    client: Any,
    eni_id: str,
    predicate: Predicate,
    timeout: float,
    interval: Optional[float] = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Mapping[str, Any]:
    """Poll DescribeNetworkInterfaces until predicate holds; returns the ENI's API item.

    interval None polls in PHASES (quick first, then sparingly); a number polls at that pace. Raises
    KsyunTimeoutError naming the ENI, the goal and its last state; KsyunGoneError when the ENI disappears.
    """
    deadline = clock() + timeout
    started = clock()
    while True:
        item = client.get_network_interface(eni_id)
        if item is None:
            raise KsyunGoneError(
                "network interface %s disappeared while waiting for it to be %s" % (eni_id, goal(predicate))
            )
        eni = eni_snapshot(item)
        if predicate(eni):
            return item
        if clock() >= deadline:
            raise KsyunTimeoutError(
                "timed out after %.1fs waiting for network interface %s to be %s (last state %s, instance %s)"
                % (timeout, eni_id, goal(predicate), item.get("State"), eni.instance_id or "none")
            )
        pace = (
            interval
            if interval is not None
            else next(step for step, span in PHASES if span is None or clock() - started < span)
        )
        sleep(max(0.0, min(pace, deadline - clock())))
