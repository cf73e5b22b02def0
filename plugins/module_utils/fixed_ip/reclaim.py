# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaim: free reservations whose retention has passed, and sweep leaked ENIs (the product FAQ's manual reclaim, automated).

A VpcIP (a shared-mode pod's IP without a fixed IP) is no reservation: it has no retention and is never kept, so
once no live pod has its UID (the pod's release never ran), it is freed as that release would (the product page's
shared mode, step 1: the record deleted, the IP unassigned). So is a PodEniIP with fixed false, its older form.

Read the reservations first, then the cloud, then the live pods: a record is written before any
cloud change and deleted after, so nothing the cloud shows can belong to a record read too late.
Every decision is reported (reclaim, keep or report, and why), so --check shows the whole picture.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, List, Mapping, Optional, Tuple, Union

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    Action,
    DeleteEni,
    DeleteReservation,
    DetachEni,
    DisassociateEip,
    ReleaseEip,
    UnassignIp,
    UnreserveIp,
    WriteReservation,
    describe_plan,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation, format_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import exclusive_eni_name, parse_eni_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import is_cluster_shared_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import exclusive_eni, may_be_kept
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import check_cluster_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EipSnapshot,
    EniSnapshot,
    PodSnapshot,
)

RECLAIM = "reclaim"
KEEP = "keep"
REPORT = "report"
RELEASE = "release"
GONE = "gone"


@dataclass(frozen=True)
class EipDecision:
    """What freeing a reservation does with the elastic public IP its record names: release, keep (and why) or gone."""

    eip_id: str
    decision: str
    reason: str
    public_ip: str = ""


@dataclass(frozen=True)
class ReclaimItem:
    """One decision: kind is reservation, eni or reserved-ip; actions are what reclaiming it takes (in order)."""

    kind: str
    name: str
    decision: str
    reason: str
    actions: Tuple[Action, ...] = ()
    target: str = ""
    eip: Optional[EipDecision] = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "decision": self.decision,
            "reason": self.reason,
            "actions": list(describe_plan(self.actions)),
        }


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


ANNOTATION_RETENTION = "k8s.ksyun.com/ip-retention"


@dataclass(frozen=True)
class StatefulSetSnapshot:
    """A StatefulSet as reclaim needs it: replicas, and the retention its annotation k8s.ksyun.com/ip-retention sets."""

    namespace: str
    name: str
    replicas: int = 0
    retention: Optional[Retention] = None
    deleting: bool = False


@dataclass(frozen=True)
class ReclaimOptions:
    """What reclaim may free besides reservations past retention; every option beyond the product page is off by default.

    min_orphan_age: a collection-named ENI younger than this is never swept (a bind may be using it).
    sweep_reserved_ips: unreserve subnet IPs reserved with no PodEniIP recording them.
    sweep_idle_shared_enis: delete shared ENIs that hold no pod IP (they count against the node's ENI quota).
    statefulset_deleted: free the reservations of a StatefulSet that was deleted, whatever their retention.
    scaled_down: free the reservations of ordinals at or above replicas, whatever their retention.
    release_eips: also disassociate and release the elastic public IP (eipId) of a reservation freed, unless it is
        associated with something other than the record's IP; cloud.addresses must then hold those EIPs (one missing
        there is taken as gone).
    """

    min_orphan_age: timedelta = timedelta(hours=1)
    sweep_reserved_ips: bool = False
    sweep_idle_shared_enis: bool = False
    statefulset_deleted: bool = False
    scaled_down: bool = False
    release_eips: bool = False


def ordinal_of(record: Reservation) -> Optional[int]:
    """The ordinal of a StatefulSet pod's name (<statefulset>-<n>)."""
    prefix = record.statefulset + "-"
    tail = record.pod_name[len(prefix) :] if record.statefulset and record.pod_name.startswith(prefix) else ""
    return int(tail) if tail.isdigit() else None


class LivePods:
    """What the live pods hold: names, uids and IPs (a pod's status IP), indexed once for many decisions."""

    def __init__(self, pods: Iterable[PodSnapshot]) -> None:
        pods = list(pods)
        self.names = {(pod.namespace, pod.name): pod for pod in pods}
        self.uids = {pod.uid: pod for pod in pods if pod.uid}
        self.ips = {pod.pod_ip: pod for pod in pods if pod.pod_ip}

    def holder(self, record: Reservation) -> Optional[PodSnapshot]:
        """The live pod the record is for: the one it names by UID, or (unless the record is being deleted) a pod of its name."""
        by_uid = self.uids.get(record.pod_uid) if record.pod_uid else None
        if record.deleting:
            return by_uid
        return self.names.get((record.namespace, record.pod_name)) or by_uid

    def using(self, ips: Iterable[str]) -> Optional[PodSnapshot]:
        return next((self.ips[ip] for ip in ips if ip in self.ips), None)


def goes_with_its_pod(record: Reservation) -> bool:
    """A non-fixed shared IP (a VpcIP, or a PodEniIP with fixed false written before VpcIP): freed with its pod."""
    return record.mode is Mode.SHARED and not record.fixed


def _due(
    record: Reservation,
    live: LivePods,
    now: datetime,
    options: ReclaimOptions,
    statefulsets: Optional[Mapping[Tuple[str, str], StatefulSetSnapshot]],
) -> Tuple[bool, str]:
    """(due, why): whether the reservation's time has come, and the reason either way."""
    if record.phase is Phase.RECLAIMING:
        return True, "reclaim started earlier; finishing it"
    if goes_with_its_pod(record):
        # By UID only: a new pod of the same name is not the one this IP was given to.
        pod = live.uids.get(record.pod_uid) if record.pod_uid else None
        if pod is not None:
            return False, "pod %s (uid %s) holds it; its non-fixed IP is freed when the pod is deleted" % (
                pod.ref,
                pod.uid,
            )
        return (
            True,
            "the non-fixed IP of pod uid %s, which no pod has (its release never ran): freed as that release "
            "would" % (record.pod_uid or "(none)"),
        )
    pod = live.holder(record)
    if record.phase in (Phase.BINDING, Phase.BOUND) and (pod is not None or not record.deleting):
        return False, "%s by pod %s/%s" % (
            "bound" if record.phase is Phase.BOUND else "a bind is in progress",
            record.namespace,
            record.pod_name,
        )
    if record.phase is Phase.RELEASING and not record.deleting:
        return False, "a release is in progress (it ends as Reserved)"
    if pod is not None:
        return False, "pod %s (uid %s) is live and binds to this reservation" % (pod.ref, pod.uid)
    if record.deleting:
        return True, "the record is being deleted (by kubectl or with its namespace), and no live pod holds its IP"
    owner = (
        statefulsets.get((record.namespace, record.statefulset))
        if statefulsets is not None and record.statefulset
        else None
    )
    if (
        statefulsets is not None
        and record.statefulset
        and options.statefulset_deleted
        and (owner is None or owner.deleting)
    ):
        return True, "StatefulSet %s/%s was deleted" % (record.namespace, record.statefulset)
    ordinal = ordinal_of(record)
    if owner is not None and options.scaled_down and ordinal is not None and ordinal >= owner.replicas:
        return True, "ordinal %d is at or above replicas %d of StatefulSet %s after a scale-down" % (
            ordinal,
            owner.replicas,
            owner.name,
        )
    retention, source = record.retention, "retention"
    if owner is not None and owner.retention is not None:
        retention, source = owner.retention, "retention %s of StatefulSet %s (annotation %s)" % (
            owner.retention,
            owner.name,
            ANNOTATION_RETENTION,
        )
    if retention.is_never:
        return False, "%s is never (the default); delete the record to free the IP by hand, or set a retention" % (
            "retention" if source == "retention" else source
        )
    if record.released_at is None:
        return False, "no release time is recorded (pre-provisioned), so %s has not started" % (
            "retention %s" % retention if source == "retention" else source
        )
    due = retention.reclaim_at(record.released_at)
    if now < due:
        return False, "%s runs until %s" % (
            "retention %s" % retention if source == "retention" else source,
            format_time(due),
        )
    return True, "released %s, %s passed at %s" % (
        format_time(record.released_at),
        "retention %s" % retention if source == "retention" else source,
        format_time(due),
    )


def reservation_item(
    record: Reservation,
    cloud: CloudSnapshot,
    live_pods: Union[Iterable[PodSnapshot], LivePods],
    now: datetime,
    cluster: str,
    options: ReclaimOptions = ReclaimOptions(),
    statefulsets: Optional[Mapping[Tuple[str, str], StatefulSetSnapshot]] = None,
) -> ReclaimItem:
    """The decision for one reservation (reclaim re-plans each item this way under its subnet lock, right before it runs);
    live_pods may be a LivePods built once for all items of a subnet."""
    live = live_pods if isinstance(live_pods, LivePods) else LivePods(live_pods)
    return _reservation_item(record, cloud, live, now, cluster, options, statefulsets)


def _reservation_item(
    record: Reservation,
    cloud: CloudSnapshot,
    live: LivePods,
    now: datetime,
    cluster: str,
    options: ReclaimOptions,
    statefulsets: Optional[Mapping[Tuple[str, str], StatefulSetSnapshot]],
) -> ReclaimItem:
    name = record.label()
    due, why = _due(record, live, now, options, statefulsets)
    if not due:
        return ReclaimItem("reservation", name, KEEP, why)
    user = live.using([record.ip] if isinstance(record.ip, str) and record.ip else [])
    if user is not None:
        return ReclaimItem(
            "reservation",
            name,
            KEEP,
            "IP %s is in use by live pod %s; check that pod's network" % (record.ip, user.ref),
        )
    return _freeing(record, cloud, cluster, why, options.release_eips)


def _on_record_ip(eip: EipSnapshot, record: Reservation, cloud: CloudSnapshot) -> bool:
    """Whether the associated eip is on the record's IP: on the ENI holding it, or waiting at the IP while no ENI
    holds it (a cloud that keeps associations with their IP)."""
    if eip.private_ip != record.ip:
        return False
    if not eip.eni_id:
        return True
    holder = cloud.holder_of(record.ip)
    return holder is not None and holder.eni_id == eip.eni_id


def _eip_plan(record: Reservation, cloud: CloudSnapshot, release: bool) -> Tuple[Optional[EipDecision], List[Action]]:
    """The decision on the record's EIP and the steps releasing it takes (disassociate if associated, then release)."""
    eip_id = record.eip_id
    if not eip_id:
        return None, []
    if not release:
        why = (
            "reclaim keeps elastic IPs unless release_eips is set (its public IP may be in someone's allow-list); "
            "release it with ksyun.kce.eip state=absent when it is not needed"
        )
        return EipDecision(eip_id, KEEP, why), []
    eip = cloud.address(eip_id)
    if eip is None:
        return EipDecision(eip_id, GONE, "elastic IP %s no longer exists; nothing to release" % eip_id), []
    if eip.associated and not _on_record_ip(eip, record, cloud):
        why = (
            "elastic IP %s (%s) is associated with %s, not with the record's IP %s, so it is not released (it was "
            "moved); release it with ksyun.kce.eip state=absent if it is not needed there"
            % (eip_id, eip.public_ip, eip.target(), record.ip or "?")
        )
        return EipDecision(eip_id, KEEP, why, eip.public_ip), []
    steps: List[Action] = [DisassociateEip(eip_id, eip.target())] if eip.associated else []
    steps.append(ReleaseEip(eip_id))
    return EipDecision(eip_id, RELEASE, "released with the reservation (release_eips)", eip.public_ip), steps


def _freeing(
    record: Reservation, cloud: CloudSnapshot, cluster: str, why: str, release_eips: bool = False
) -> ReclaimItem:
    """The item that frees record: Reclaiming first, then (release_eips) its EIP disassociated and released while the
    record still names it, then the ENI deleted (exclusive) or the IP unassigned and unreserved (shared), then the
    record deleted; KEEP when the cloud shows something no reclaim may touch."""
    name = record.label()
    actions: List[Action] = []
    if record.phase is not Phase.RECLAIMING:
        actions.append(WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)))
    eip, eip_steps = _eip_plan(record, cloud, release_eips)
    # The EIP goes first, while the record still names it: a rerun after a crash finds it gone and goes on.
    actions.extend(eip_steps)
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
    actions.append(DeleteReservation.of(record))
    return ReclaimItem("reservation", name, RECLAIM, why, tuple(actions), target=name, eip=eip)


def plan_manual_reclaim(
    record: Reservation,
    cloud: CloudSnapshot,
    live_pods: Iterable[PodSnapshot],
    cluster_name: str,
    force: bool = False,
    release_eips: bool = False,
) -> ReclaimItem:
    """The product FAQ's emergency reclaim of one reservation, whatever its retention; refused while a live pod holds the
    IP (by UID, or by the IP in its status) unless force, which frees it under the running pod. release_eips: as in
    ReclaimOptions (cloud.addresses must hold the record's EIP)."""
    check_cluster_name(cluster_name)
    live = LivePods(live_pods)
    holder = live.uids.get(record.pod_uid) if record.pod_uid else None
    user = holder or live.using([record.ip] if isinstance(record.ip, str) and record.ip else [])
    if user is not None and not user.deleting and not force:
        return ReclaimItem(
            "reservation",
            record.label(),
            KEEP,
            "pod %s (uid %s) is running and uses IP %s; delete the pod first, or set force=true to free the IP under it "
            "(the pod loses its network)" % (user.ref, user.uid, record.ip or "?"),
        )
    why = "freed by hand" + (" while pod %s still ran (force)" % user.ref if user is not None else "")
    return _freeing(record, cloud, cluster_name, why, release_eips)


def _eni_item(
    eni: EniSnapshot, mode: Mode, live: LivePods, now: datetime, options: ReclaimOptions, recorded_ips
) -> Optional[ReclaimItem]:
    min_orphan_age = options.min_orphan_age
    name = "ENI %s (%s)" % (eni.eni_id, eni.name)
    unrecorded = [ip for ip in eni.secondary_ips if ip not in recorded_ips]
    if mode is Mode.SHARED and eni.secondary_ips and not unrecorded:
        return None
    if mode is Mode.SHARED and unrecorded:
        return ReclaimItem(
            "eni",
            name,
            REPORT,
            "shared ENI holds IPs %s that no PodEniIP or VpcIP records; audit them before freeing"
            % ", ".join(unrecorded),
        )
    if mode is Mode.SHARED and eni.instance_id and not options.sweep_idle_shared_enis:
        return ReclaimItem(
            "eni",
            name,
            KEEP,
            "idle shared ENI attached to instance %s; binds on that node reuse it (sweep idle shared ENIs to free its slot)"
            % eni.instance_id,
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
    why = "created by this collection for this cluster, no reservation refers to it"
    if mode is Mode.SHARED and eni.instance_id:
        why = "idle shared ENI (no pod IP on it) on instance %s; its ENI slot is freed" % eni.instance_id
    return ReclaimItem("eni", name, RECLAIM, why, tuple(actions))


def plan_reclaim(
    reservations: Iterable[Reservation],
    cloud: CloudSnapshot,
    live_pods: Iterable[PodSnapshot],
    now: datetime,
    cluster_name: str,
    options: ReclaimOptions = ReclaimOptions(),
    statefulsets: Optional[Mapping[Tuple[str, str], StatefulSetSnapshot]] = None,
) -> ReclaimPlan:
    """Decide, for every reservation, orphan ENI and unrecorded reserved IP, whether reclaim frees it and why.

    cloud: the ENIs of the cluster's VPC and the pod subnets only (with options.release_eips, also the EIPs of the
    reservations due, in addresses; the flow reads them only then). live_pods: every pod the API
    server shows, with pod_ip set. statefulsets: every StatefulSet of the namespaces involved, by
    (namespace, name); None when not read (then only retention decides). The executor must check again,
    just before each item's first cloud call, that no live pod holds the IP (reservation_item).
    """
    check_cluster_name(cluster_name)
    records = sorted(reservations, key=lambda r: (r.kind, r.namespace, r.label()))
    live = LivePods(live_pods)
    items = [
        dataclasses.replace(
            _reservation_item(record, cloud, live, now, cluster_name, options, statefulsets), target=record.label()
        )
        for record in records
    ]
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
        item = _eni_item(eni, parsed.mode, live, now, options, recorded_ips)
        if item is not None:
            items.append(dataclasses.replace(item, target=eni.eni_id))
    for subnet in sorted(cloud.subnets, key=lambda each: each.subnet_id):
        for ip in sorted(subnet.reserved_ips - recorded_ips):
            name = "IP %s in subnet %s" % (ip, subnet.subnet_id)
            holder, user = cloud.holder_of(ip), live.using([ip])
            if holder is not None or user is not None:
                where = "ENI %s" % holder.eni_id if holder is not None else "live pod %s" % user.ref
                items.append(
                    ReclaimItem(
                        "reserved-ip",
                        name,
                        REPORT,
                        "reserved and in use by %s, but no PodEniIP records it" % where,
                        target=ip,
                    )
                )
            elif options.sweep_reserved_ips:
                items.append(
                    ReclaimItem(
                        "reserved-ip",
                        name,
                        RECLAIM,
                        "reserved (specific) with no PodEniIP recording it",
                        (UnreserveIp(subnet.subnet_id, ip),),
                        target=ip,
                    )
                )
            else:
                why = "reserved (specific) with no PodEniIP recording it; sweep reserved IPs to unreserve it, or create a PodEniIP to keep it"
                items.append(ReclaimItem("reserved-ip", name, REPORT, why, target=ip))
    return ReclaimPlan(tuple(items))
