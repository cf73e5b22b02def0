# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for an ENI or a cluster: one loop each, named predicates (the pattern of kubernetes.core's k8s/waiter.py).

A predicate takes the ENI (or cluster) as the read model shows it (read_model.eni_state and kce_model.PHASES
normalise the API's state words, so no caller tests them itself) and says whether the wait is over.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import (
    PHASE_FAILED,
    PHASE_RUNNING,
    ClusterSnapshot,
    VpcCniSettings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EniSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    KsyunGoneError,
    KsyunStateError,
    KsyunTimeoutError,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import kce2_snapshot
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


# --- clusters: the KCE 2.0 view (VPC-CNI settings, platform phase), one DescribeClusters per poll --------------------

ClusterPredicate = Callable[[ClusterSnapshot], bool]


def vpc_cni_is(wanted: VpcCniSettings) -> ClusterPredicate:
    """The platform echoes wanted (VpcCniSettings.matches) and its phase is the running one."""

    def predicate(cluster: ClusterSnapshot) -> bool:
        return cluster.phase == PHASE_RUNNING and cluster.vpc_cni is not None and cluster.vpc_cni.matches(wanted)

    predicate.__name__ = "running with VPC-CNI %s" % wanted.describe()
    return predicate


def wait_for_cluster(
    client: Any,
    cluster_id: str,
    predicate: ClusterPredicate,
    timeout: float,
    interval: Optional[float] = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ClusterSnapshot:
    """Poll kce2 DescribeClusters until predicate holds; returns the cluster's KCE 2.0 view.

    A failed phase ends the wait once the platform shows what was asked, or once it showed another phase since the wait
    began (it tried and failed); a failed phase seen before either may be left from an earlier change, so the wait goes
    on. Raises KsyunTimeoutError naming the cluster, the
    goal and the last phase; KsyunGoneError when the cluster is no longer listed; KsyunStateError when it failed.
    """
    deadline = clock() + timeout
    started = clock()
    moved = False
    while True:
        item = client.get_kce2_cluster(cluster_id)
        if item is None:
            raise KsyunGoneError("cluster %s disappeared while waiting for it to be %s" % (cluster_id, goal(predicate)))
        cluster = kce2_snapshot(item)
        if predicate(cluster):
            return cluster
        tried = moved or predicate(dataclasses.replace(cluster, phase=PHASE_RUNNING))
        moved = moved or cluster.phase != PHASE_FAILED
        if cluster.phase == PHASE_FAILED and tried:
            raise KsyunStateError(
                "cluster %s failed to become %s: its phase is %s%s"
                % (
                    cluster_id,
                    goal(predicate),
                    cluster.phase_text,
                    ": %s" % cluster.phase_message if cluster.phase_message else "",
                )
            )
        if clock() >= deadline:
            raise KsyunTimeoutError(
                "timed out after %.1fs waiting for cluster %s to be %s (last phase %s%s, VPC-CNI %s)"
                % (
                    timeout,
                    cluster_id,
                    goal(predicate),
                    cluster.phase_text or "none",
                    ": %s" % cluster.phase_message if cluster.phase_message else "",
                    cluster.vpc_cni.describe() if cluster.vpc_cni is not None else "unknown",
                )
            )
        pace = (
            interval
            if interval is not None
            else next(step for step, span in PHASES if span is None or clock() - started < span)
        )
        sleep(max(0.0, min(pace, deadline - clock())))
