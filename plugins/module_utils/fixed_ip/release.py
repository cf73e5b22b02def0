# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release: what happens to a pod's IP when the pod is deleted (the product page's "When a pod is deleted").

A non-fixed pod frees everything at once (shared: its VpcIP is deleted and its IP unassigned, never reserved).
A fixed pod keeps its reservation: exclusive detaches the ENI (a detached ENI keeps its IP), shared unassigns
the IP and marks it reserved in its subnet.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import AbstractSet, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    DeleteEni,
    DeleteReservation,
    DetachEni,
    ReserveIp,
    UnassignIp,
    UnreserveIp,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import ReservationConflict
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import exclusive_eni_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import Retry
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan, Steps
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot, PodSnapshot


def releasing(record: Reservation, now: datetime) -> Reservation:
    """Intent to release; the retention clock starts here and survives a crash before Reserved."""
    return dataclasses.replace(record, phase=Phase.RELEASING, released_at=record.released_at or now)


def reserved(record: Reservation, now: datetime) -> Reservation:
    """Kept for the pod; a shared IP is on no ENI then, so the record names none (exclusive: its own ENI, detached)."""
    on_no_eni = {"eni_id": "", "mac": ""} if record.mode is Mode.SHARED else {}
    return dataclasses.replace(record, phase=Phase.RESERVED, released_at=record.released_at or now, **on_no_eni)


def exclusive_eni(record: Reservation, cloud: CloudSnapshot, cluster: str, zone: str = "") -> Optional[EniSnapshot]:
    """The record's ENI; before its id was recorded (a crash after CreateEni), the ENI named for the pod."""
    if record.eni_id:
        return cloud.eni(record.eni_id)
    named = [
        eni
        for eni in cloud.enis_named(exclusive_eni_name(cluster, record.namespace, record.pod_name))
        if not zone or eni.zone == zone
    ]
    named.sort(key=lambda eni: (eni.instance_id is None, eni.eni_id))
    return named[0] if named else None


def held_where_recorded(record: Reservation, holder: EniSnapshot) -> bool:
    """Whether the ENI holding a shared IP is the one the record says holds it (Reserved: none may)."""
    if record.phase is Phase.RESERVED:
        return False
    if record.eni_id:
        return holder.eni_id == record.eni_id
    return bool(holder.instance_id) and holder.instance_id == record.instance_id


def is_kept(record: Reservation, cloud: CloudSnapshot, holder: Optional[EniSnapshot]) -> bool:
    """Whether the shared IP is reserved (specific) in its subnet for sure, so no ReserveIp is needed.

    Where the cloud cannot list reservations (CloudBehaviour.available_excludes_reserved), only a record written
    Reserved after its ReserveIp, with no ENI holding the IP, says so; otherwise ReserveIp is sent again
    (it is idempotent), never skipped on a guess.
    """
    if cloud.reservations_known(record.subnet_id):
        return cloud.is_reserved(record.subnet_id, record.ip)
    return holder is None and record.phase in (Phase.RESERVED, Phase.RECLAIMING)


def may_be_kept(record: Reservation, cloud: CloudSnapshot) -> bool:
    """Whether the shared IP may still be reserved, so freeing or binding it must send UnreserveIp.

    Where the cloud cannot list reservations, only a Bound record is known to have set its IP back to
    random; UnreserveIp on an IP that is random already changes nothing. A VpcIP's IP was never reserved
    (bind took it among the free ones), so only a cloud that shows it reserved makes it so.
    """
    if cloud.reservations_known(record.subnet_id):
        return cloud.is_reserved(record.subnet_id, record.ip)
    return not record.vpc_ip and record.phase is not Phase.BOUND


def shared_conflict(record: Reservation, holder: EniSnapshot) -> ReservationConflict:
    return ReservationConflict(
        "IP %s of %s (pod %s/%s, phase %s) is assigned to ENI %s on instance %s, which the record does not name; another "
        "allocator took it, so it is left alone: find the holder with the console or the audit playbook, free it, then plan again"
        % (
            record.ip,
            record.label(),
            record.namespace,
            record.pod_name,
            record.phase.value,
            holder.eni_id,
            holder.instance_id or "(detached)",
        )
    )


def exclusive_conflict(record: Reservation, eni: EniSnapshot) -> ReservationConflict:
    return ReservationConflict(
        "ENI %s of %s is attached to instance %s, but the record says instance %s; it is left alone: detach it by hand or fix the "
        "record's instanceId, then plan again"
        % (eni.eni_id, record.label(), eni.instance_id, record.instance_id or "(none)")
    )


def keep_steps(record: Reservation, cloud: CloudSnapshot, settings: Settings, now: datetime, steps: Steps) -> None:
    """Record Releasing, then the cloud calls that keep a fixed IP out of anyone else's reach (no final write).

    Shared mode with settings.cloud.reserve_assigned_ip: ReserveIp, then UnassignIp, so random allocation
    can never take the IP in between. Without it (the cloud refuses to mark an assigned IP specific):
    UnassignIp, then ReserveIp. That order is still safe only because the container subnet is
    dedicated to this cluster (a product requirement) and this collection is its only allocator, and
    only if the executor holds the subnet's allocation lock across both calls, so no bind of this
    collection can pick the IP in between; a crash between them leaves the IP open until the next run.
    """
    if record.mode is Mode.EXCLUSIVE:
        eni = exclusive_eni(record, cloud, settings.cluster_name)
        if eni is None:
            if record.eni_id:
                steps.warnings.append(
                    "ENI %s of %s is gone from the cloud, so fixed IP %s cannot be kept; delete the record to let "
                    "the pod get a new IP" % (record.eni_id, record.label(), record.ip or "(unknown)")
                )
            return
        if eni.is_transient:
            raise Retry("ENI %s of %s is %s" % (eni.eni_id, record.label(), eni.state))
        if eni.instance_id and eni.instance_id != record.instance_id:
            raise exclusive_conflict(record, eni)
        located = dataclasses.replace(
            record, eni_id=eni.eni_id, ip=eni.primary_ip, mac=eni.mac, subnet_id=eni.subnet_id, zone=eni.zone
        )
        if eni.instance_id:
            steps.write(releasing(located, now))
            steps.add(DetachEni(eni.eni_id, eni.instance_id))
        elif located != record:
            steps.write(releasing(located, now))
        return
    holder = cloud.holder_of(record.ip)
    is_reserved = is_kept(record, cloud, holder)
    if holder is not None and not held_where_recorded(record, holder):
        raise shared_conflict(record, holder)
    if holder is None and is_reserved:
        return
    steps.write(releasing(record, now))
    reserve = [] if is_reserved else [ReserveIp(record.subnet_id, record.ip)]
    unassign = [] if holder is None else [UnassignIp(holder.eni_id, record.ip)]
    steps.add(*(reserve + unassign if settings.cloud.reserve_assigned_ip else unassign + reserve))


def free_steps(record: Reservation, cloud: CloudSnapshot, settings: Settings, steps: Steps) -> None:
    """A non-fixed release: give the ENI or IP back to the cloud at once, then delete the record."""
    if record.mode is Mode.EXCLUSIVE:
        eni = exclusive_eni(record, cloud, settings.cluster_name)
        if eni is not None:
            if eni.is_transient:
                raise Retry("ENI %s of %s is %s" % (eni.eni_id, record.label(), eni.state))
            if eni.instance_id and eni.instance_id != record.instance_id:
                raise exclusive_conflict(record, eni)
            if eni.instance_id:
                steps.add(DetachEni(eni.eni_id, eni.instance_id))
            steps.add(DeleteEni(eni.eni_id))
    else:
        holder = cloud.holder_of(record.ip)
        if holder is not None and not held_where_recorded(record, holder):
            steps.warnings.append(str(shared_conflict(record, holder)))
        elif holder is not None:
            steps.add(UnassignIp(holder.eni_id, record.ip))
        if may_be_kept(record, cloud):
            steps.add(UnreserveIp(record.subnet_id, record.ip))
    steps.add(DeleteReservation.of(record))
    steps.record = None


def _refusal(pod: PodSnapshot, record: Reservation, live_pod_uids: AbstractSet[str]) -> str:
    if record.pod_uid != pod.uid:
        holder = "pod uid %s" % record.pod_uid if record.pod_uid else "no pod yet (pre-provisioned)"
        return "%s is held by %s, not by pod %s (uid %s); it is not this pod's to release" % (
            record.label(),
            holder,
            pod.ref,
            pod.uid,
        )
    if pod.uid in live_pod_uids and not pod.deleting:
        return "pod %s (uid %s) is live and not being deleted; its IP stays bound" % (pod.ref, pod.uid)
    if record.phase is Phase.RECLAIMING:
        return "%s is being reclaimed; reclaim finishes freeing it" % record.label()
    return ""


def plan_release(
    pod: PodSnapshot,
    existing: Optional[Reservation],
    cloud: CloudSnapshot,
    settings: Settings,
    now: datetime,
    live_pod_uids: AbstractSet[str],
) -> Plan:
    """Plan what the deletion of pod does to its reservation; an empty plan with a reason when it may not.

    live_pod_uids: uids of the pods the API server shows now (read after the reservation). Run it
    again after a crash: it resumes from the record's phase, and a second release is a no-op.
    """
    if existing is None:
        return Plan(reason="pod %s has no reservation; nothing to release" % pod.ref)
    refusal = _refusal(pod, existing, frozenset(live_pod_uids))
    if refusal:
        return Plan(reservation=existing, reason=refusal)
    steps = Steps(existing)
    try:
        if (
            existing.fixed
            and not existing.deleting
            and (
                existing.mode is Mode.SHARED
                or existing.eni_id
                or exclusive_eni(existing, cloud, settings.cluster_name) is not None
            )
        ):
            keep_steps(existing, cloud, settings, now, steps)
            steps.write(reserved(steps.record, now))
        else:
            free_steps(existing, cloud, settings, steps)
    except Retry as err:
        return Plan(reservation=existing, reason="%s; plan the release again shortly" % err, retry=True)
    except ReservationConflict as err:
        return Plan(reservation=existing, reason=str(err))
    return steps.plan()
