# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaim: free reservations whose retention has passed, and sweep leaked ENIs (the product FAQ's manual reclaim, automated).

Read the reservations first, then the cloud, then the live pods: a record is written before any
cloud change and deleted after, so nothing the cloud shows can belong to a record read too late.
Every decision is reported (reclaim, keep or report, and why), so --check shows the whole picture.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, List, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    Action,
    DeleteEni,
    DeleteReservation,
    DetachEni,
    UnassignIp,
    UnreserveIp,
    WriteReservation,
    describe_plan,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation, format_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import exclusive_eni_name, parse_eni_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import is_cluster_shared_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import exclusive_eni, may_be_kept
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import check_cluster_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot, PodSnapshot

RECLAIM = "reclaim"
KEEP = "keep"
REPORT = "report"


@dataclass(frozen=True)
class ReclaimItem:
    """One decision: kind is reservation, eni or reserved-ip; actions are what reclaiming it takes (in order)."""

    kind: str
    name: str
    decision: str
    reason: str
    actions: Tuple[Action, ...] = ()


@dataclass(frozen=True)
class ReclaimPlan:
    """Items in a stable order; run each reclaim item's actions in order (items are independent)."""

    items: Tuple[ReclaimItem, ...] = ()

    @property
    def actions(self) -> Tuple[Action, ...]:
        return tuple(action for item in self.items for action in item.actions)

    @property
    def reclaimable(self) -> Tuple[ReclaimItem, ...]:
        return tuple(item for item in self.items if item.decision == RECLAIM)

    @property
    def kept(self) -> Tuple[ReclaimItem, ...]:
        return tuple(item for item in self.items if item.decision != RECLAIM)

    def describe(self) -> Tuple[str, ...]:
        return describe_plan(self.actions)


class _Live:
    """What the live pods hold: names, uids and IPs (a pod's status IP)."""

    def __init__(self, pods: Iterable[PodSnapshot]) -> None:
        pods = list(pods)
        self.names = {(pod.namespace, pod.name): pod for pod in pods}
        self.uids = {pod.uid: pod for pod in pods if pod.uid}
        self.ips = {pod.pod_ip: pod for pod in pods if pod.pod_ip}

    def holder(self, record: Reservation) -> Optional[PodSnapshot]:
        return self.names.get((record.namespace, record.pod_name)) or self.uids.get(record.pod_uid)

    def using(self, ips: Iterable[str]) -> Optional[PodSnapshot]:
        return next((self.ips[ip] for ip in ips if ip in self.ips), None)


def _why_not_due(record: Reservation, live: _Live, now: datetime) -> str:
    """Empty if the reservation's time has come; else why it is kept."""
    if record.phase is Phase.RECLAIMING:
        return ""
    if record.phase in (Phase.BINDING, Phase.BOUND):
        return "%s by pod %s/%s" % (
            "bound" if record.phase is Phase.BOUND else "a bind is in progress",
            record.namespace,
            record.pod_name,
        )
    if record.phase is Phase.RELEASING:
        return "a release is in progress (it ends as Reserved)"
    pod = live.holder(record)
    if pod is not None:
        return "pod %s (uid %s) is live and binds to this reservation" % (pod.ref, pod.uid)
    if record.retention.is_never:
        return "retention is never (the default); delete the record to free the IP by hand, or set a retention"
    if record.released_at is None:
        return "no release time is recorded (pre-provisioned), so retention %s has not started" % record.retention
    due = record.retention.reclaim_at(record.released_at)
    if now < due:
        return "retention %s runs until %s" % (record.retention, format_time(due))
    return ""


def _reservation_item(
    record: Reservation, cloud: CloudSnapshot, live: _Live, now: datetime, cluster: str
) -> ReclaimItem:
    name = record.label()
    why = _why_not_due(record, live, now)
    if why:
        return ReclaimItem("reservation", name, KEEP, why)
    user = live.using([record.ip] if isinstance(record.ip, str) and record.ip else [])
    if user is not None:
        return ReclaimItem(
            "reservation",
            name,
            KEEP,
            "IP %s is in use by live pod %s; check that pod's network" % (record.ip, user.ref),
        )
    actions: List[Action] = []
    if record.phase is not Phase.RECLAIMING:
        actions.append(WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)))
    if record.mode is Mode.EXCLUSIVE:
        eni = exclusive_eni(record, cloud, cluster)
        if eni is not None and eni.is_transient:
            return ReclaimItem(
                "reservation", name, KEEP, "ENI %s is %s; run reclaim again shortly" % (eni.eni_id, eni.state)
            )
        if eni is not None and eni.instance_id:
            actions.append(DetachEni(eni.eni_id, eni.instance_id))
        if eni is not None:
            actions.append(DeleteEni(eni.eni_id))
    else:
        holder = cloud.holder_of(record.ip)
        if holder is not None and not is_cluster_shared_eni(holder, cluster):
            return ReclaimItem(
                "reservation",
                name,
                KEEP,
                "IP %s is assigned to ENI %s, which this collection does not manage; free it "
                "there first" % (record.ip, holder.eni_id),
            )
        if holder is not None:
            actions.append(UnassignIp(holder.eni_id, record.ip))
        if may_be_kept(record, cloud):
            actions.append(UnreserveIp(record.subnet_id, record.ip))
    actions.append(DeleteReservation(record.namespace, record.record_name(), record.mode))
    if record.phase is Phase.RECLAIMING:
        reason = "reclaim started earlier; finishing it"
    else:
        due = record.retention.reclaim_at(record.released_at)
        reason = "released %s, retention %s passed at %s" % (
            format_time(record.released_at),
            record.retention,
            format_time(due),
        )
    return ReclaimItem("reservation", name, RECLAIM, reason, tuple(actions))


def _eni_item(
    eni: EniSnapshot, mode: Mode, live: _Live, now: datetime, min_orphan_age: timedelta, recorded_ips
) -> Optional[ReclaimItem]:
    name = "ENI %s (%s)" % (eni.eni_id, eni.name)
    unrecorded = [ip for ip in eni.secondary_ips if ip not in recorded_ips]
    if mode is Mode.SHARED and eni.secondary_ips and not unrecorded:
        return None
    if mode is Mode.SHARED and unrecorded:
        return ReclaimItem(
            "eni",
            name,
            REPORT,
            "shared ENI holds IPs %s that no PodEniIP records; audit them before freeing" % ", ".join(unrecorded),
        )
    if mode is Mode.SHARED and eni.instance_id:
        return ReclaimItem(
            "eni", name, KEEP, "idle shared ENI attached to instance %s; binds on that node reuse it" % eni.instance_id
        )
    if eni.create_time is None:
        return ReclaimItem("eni", name, KEEP, "creation time unknown, so it may be part of a bind in progress")
    if now - eni.create_time < min_orphan_age:
        return ReclaimItem(
            "eni",
            name,
            KEEP,
            "created %s, younger than the minimum orphan age %s (a bind may be using it)"
            % (format_time(eni.create_time), min_orphan_age),
        )
    user = live.using((eni.primary_ip,) + eni.secondary_ips)
    if user is not None:
        return ReclaimItem("eni", name, KEEP, "IP %s is in use by live pod %s" % (user.pod_ip, user.ref))
    if eni.is_transient:
        return ReclaimItem("eni", name, KEEP, "ENI is %s; run reclaim again shortly" % eni.state)
    actions = ([DetachEni(eni.eni_id, eni.instance_id)] if eni.instance_id else []) + [DeleteEni(eni.eni_id)]
    return ReclaimItem(
        "eni", name, RECLAIM, "created by this collection for this cluster, no reservation refers to it", tuple(actions)
    )


def plan_reclaim(
    reservations: Iterable[Reservation],
    cloud: CloudSnapshot,
    live_pods: Iterable[PodSnapshot],
    now: datetime,
    min_orphan_age: timedelta,
    cluster_name: str,
    sweep_reserved_ips: bool = False,
) -> ReclaimPlan:
    """Decide, for every reservation, orphan ENI and unrecorded reserved IP, whether reclaim frees it and why.

    cloud: the ENIs of the cluster's VPC and the pod subnets only. live_pods: every pod the API
    server shows, with pod_ip set. The executor must check again, just before each item's first
    cloud call, that no live pod holds the IP (a pod may have started since the snapshot).
    """
    check_cluster_name(cluster_name)
    records = sorted(reservations, key=lambda r: (r.kind, r.namespace, r.label()))
    live = _Live(live_pods)
    items = [_reservation_item(record, cloud, live, now, cluster_name) for record in records]
    referenced = {record.eni_id for record in records if isinstance(record.eni_id, str) and record.eni_id}
    exclusive_names = {
        exclusive_eni_name(cluster_name, r.namespace, r.pod_name) for r in records if r.mode is Mode.EXCLUSIVE
    }
    recorded_ips = {record.ip for record in records if record.mode is Mode.SHARED}
    for eni in sorted(cloud.enis, key=lambda each: each.eni_id):
        parsed = parse_eni_name(eni.name)
        if (
            parsed is None
            or parsed.cluster != cluster_name
            or eni.is_primary
            or eni.eni_id in referenced
            or eni.name in exclusive_names
        ):
            continue
        item = _eni_item(eni, parsed.mode, live, now, min_orphan_age, recorded_ips)
        if item is not None:
            items.append(item)
    for subnet in sorted(cloud.subnets, key=lambda each: each.subnet_id):
        for ip in sorted(subnet.reserved_ips - recorded_ips):
            name = "IP %s in subnet %s" % (ip, subnet.subnet_id)
            holder, user = cloud.holder_of(ip), live.using([ip])
            if holder is not None or user is not None:
                where = "ENI %s" % holder.eni_id if holder is not None else "live pod %s" % user.ref
                items.append(
                    ReclaimItem(
                        "reserved-ip", name, REPORT, "reserved and in use by %s, but no PodEniIP records it" % where
                    )
                )
            elif sweep_reserved_ips:
                items.append(
                    ReclaimItem(
                        "reserved-ip",
                        name,
                        RECLAIM,
                        "reserved (specific) with no PodEniIP recording it",
                        (UnreserveIp(subnet.subnet_id, ip),),
                    )
                )
            else:
                why = "reserved (specific) with no PodEniIP recording it; sweep reserved IPs to unreserve it, or create a PodEniIP to keep it"
                items.append(ReclaimItem("reserved-ip", name, REPORT, why))
    return ReclaimPlan(tuple(items))
