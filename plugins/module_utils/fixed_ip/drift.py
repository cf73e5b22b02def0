# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drift: where the cluster's records, its pods and the cloud disagree, with what each finding needs (ksyun.kce.fixed_ip_audit).

find_drift is pure like the planners: the records, the cloud and the pods as read once, in; one
Finding per disagreement out, each with a stable key (so a saved report can name it), the time
it has existed since where that is known, the fix in words, and the repair actions where a repair
is safe to automate. A repair only ever runs for a finding older than the minimum age: by its own
creation time, or by a saved report that already listed it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import Action, DeleteReservation, describe_plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import is_cluster_shared_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import (
    KEEP,
    RECLAIM,
    REPORT,
    LivePods,
    ReclaimOptions,
    goes_with_its_pod,
    plan_reclaim,
    reservation_item,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import exclusive_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    PodSnapshot,
    SubnetSnapshot,
)

RECORD_CLOUD_MISSING = "record-without-cloud"
ORPHAN_ENI = "eni-without-record"
UNRECORDED_RESERVED_IP = "reserved-ip-without-record"
UNRECORDED_IP_ON_ENI = "ip-on-eni-without-record"
ENI_ON_OTHER_NODE = "eni-on-another-node"
RECORD_POD_GONE = "record-of-a-gone-pod"
POD_OUTSIDE_ZONE = "pod-outside-its-zone"
EIP_GONE = "eip-of-record-gone"
EIP_NOT_ON_IP = "eip-not-on-its-ip"
KINDS = (
    RECORD_CLOUD_MISSING,
    ORPHAN_ENI,
    UNRECORDED_RESERVED_IP,
    UNRECORDED_IP_ON_ENI,
    ENI_ON_OTHER_NODE,
    RECORD_POD_GONE,
    POD_OUTSIDE_ZONE,
    EIP_GONE,
    EIP_NOT_ON_IP,
)


@dataclass(frozen=True)
class Finding:
    """kind: one of KINDS. subject: what it is about, as a user names it. key: kind and subject (stable across runs).

    since: how long it is known to exist (a creation time), None if the API cannot say. actions: the repair, empty
    when only a person can decide.
    """

    kind: str
    subject: str
    detail: str
    fix: str
    since: Optional[datetime] = None
    actions: Tuple[Action, ...] = ()

    @property
    def key(self) -> str:
        return "%s %s" % (self.kind, self.subject)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "subject": self.subject,
            "detail": self.detail,
            "fix": self.fix,
            "since": self.since.strftime("%Y-%m-%dT%H:%M:%SZ") if self.since else None,
            "repair": list(describe_plan(self.actions)),
        }


def _gone_pods_ip(
    record: Reservation, created: Optional[datetime], cloud: CloudSnapshot, cluster: str, live: LivePods, now: datetime
) -> Finding:
    """A non-fixed shared IP (a VpcIP) whose pod is gone: a leak, freed as its release would (reclaim's decision)."""
    item = reservation_item(record, cloud, live, now, cluster)
    return Finding(
        RECORD_POD_GONE,
        record.label(),
        "the record is %s for pod uid %s, which no pod has (its release never ran), so IP %s stays assigned for no pod"
        % (record.phase.value, record.pod_uid, record.ip or "?"),
        (
            "repair deletes it and unassigns IP %s, as the pod's release would (a non-fixed IP is never kept)"
            % record.ip
            if item.decision == RECLAIM
            else "free it by hand: %s" % item.reason
        ),
        created,
        item.actions if item.decision == RECLAIM else (),
    )


def _record_findings(
    record: Reservation,
    created: Optional[datetime],
    cloud: CloudSnapshot,
    cluster: str,
    live: LivePods,
    now: datetime,
) -> List[Finding]:
    uids = live.uids
    found = []
    label = record.label()
    if record.mode is Mode.EXCLUSIVE and record.eni_id and exclusive_eni(record, cloud, cluster) is None:
        found.append(
            Finding(
                RECORD_CLOUD_MISSING,
                label,
                "ENI %s of the record no longer exists, so IP %s is lost" % (record.eni_id, record.ip or "?"),
                "delete the record; the pod gets a new IP on its next start",
                created,
                (DeleteReservation.of(record),),
            )
        )
    if record.mode is Mode.SHARED and cloud.subnet(record.subnet_id) is None:
        found.append(
            Finding(
                RECORD_CLOUD_MISSING,
                label,
                "subnet %s of the record no longer exists" % (record.subnet_id or "(none)"),
                "delete the record; the pod gets a new IP in a pod subnet on its next start",
                created,
                (DeleteReservation.of(record),),
            )
        )
    elif record.phase in (Phase.BINDING, Phase.BOUND) and record.pod_uid not in uids and goes_with_its_pod(record):
        found.append(_gone_pods_ip(record, created, cloud, cluster, live, now))
    if (
        record.phase in (Phase.BINDING, Phase.BOUND)
        and record.pod_uid
        and record.pod_uid not in uids
        and not goes_with_its_pod(record)
    ):
        found.append(
            Finding(
                RECORD_POD_GONE,
                label,
                "the record is %s for pod uid %s, which no pod has (its release never ran)"
                % (record.phase.value, record.pod_uid),
                "run ksyun.kce.fixed_ip state=released for pod %s/%s: its IP is kept as Reserved, per its policy"
                % (record.namespace, record.pod_name),
                created,
            )
        )
    found.extend(eip_findings(record, created, cloud))
    if record.mode is Mode.EXCLUSIVE and record.phase is Phase.BOUND and record.pod_uid in uids:
        eni = exclusive_eni(record, cloud, cluster)
        pod = uids[record.pod_uid]
        if eni is not None and eni.instance_id and record.instance_id and eni.instance_id != record.instance_id:
            found.append(
                Finding(
                    ENI_ON_OTHER_NODE,
                    label,
                    "ENI %s is attached to instance %s, but pod %s runs on %s (instance %s)"
                    % (eni.eni_id, eni.instance_id, pod.ref, pod.node_name or record.node_name, record.instance_id),
                    "detach ENI %s by hand (ksyun.kce.eni_attachment state=absent); the next bind attaches it to the pod's node"
                    % eni.eni_id,
                    created,
                )
            )
    return found


def eip_findings(record: Reservation, created: Optional[datetime], cloud: CloudSnapshot) -> List[Finding]:
    """The record's EIP (eipId) is gone, or a Bound record's EIP is not on its IP (cloud.addresses must hold it).

    The audit and ksyun.kce.fixed_ip_info both report these."""
    if not record.eip_id:
        return []
    label, eip = record.label(), cloud.address(record.eip_id)
    if eip is None:
        return [
            Finding(
                EIP_GONE,
                label,
                "elastic IP %s of the record does not exist (released?), so IP %s has no public IP"
                % (record.eip_id, record.ip or "?"),
                "allocate one (ksyun.kce.eip) and set it with eip_id of ksyun.kce.pod_eni_ip or ksyun.kce.pod_eni, or "
                "set eip_id to an empty string",
                created,
            )
        ]
    if record.phase is not Phase.BOUND or not isinstance(record.ip, str) or not record.ip:
        return []
    holder = cloud.holder_of(record.ip)
    waiting = eip.associated and not eip.eni_id and eip.private_ip == record.ip
    if waiting or holder is not None and eip.bound_to(holder.eni_id, record.ip):
        return []
    return [
        Finding(
            EIP_NOT_ON_IP,
            label,
            "elastic IP %s (%s) is %s, not on IP %s%s"
            % (
                eip.allocation_id,
                eip.public_ip,
                eip.target(),
                record.ip,
                " of ENI %s" % holder.eni_id if holder is not None else "",
            ),
            "associate it with ksyun.kce.eip_association (allow_reassociation=true), or restart the pod: its bind "
            "associates it",
            created,
        )
    ]


def _zone_findings(
    records: Iterable[Reservation], pods: Iterable[PodSnapshot], node_zones: Mapping[str, str]
) -> List[Finding]:
    by_pod = {(r.namespace, r.pod_name): r for r in records if r.fixed and r.zone}
    found = []
    for pod in pods:
        record = by_pod.get((pod.namespace, pod.name))
        zone = node_zones.get(pod.node_name, "")
        if record is None or pod.pod_ip or pod.deleting or not pod.node_name or not zone or zone == record.zone:
            continue
        owner = (
            "StatefulSet %s/%s" % (pod.namespace, pod.owner_name)
            if pod.owner_kind == "StatefulSet"
            else "pod %s" % pod.ref
        )
        found.append(
            Finding(
                POD_OUTSIDE_ZONE,
                "pod %s" % pod.ref,
                "it was scheduled to node %s in zone %s, but its fixed IP %s lives in zone %s, so it waits without an IP"
                % (pod.node_name, zone, record.ip or "(ENI %s)" % record.eni_id, record.zone),
                "give %s the node affinity topology.kubernetes.io/zone In [%s] (the fixed_ip_statefulset role sets it), then "
                "delete the pod" % (owner, record.zone),
            )
        )
    return found


def find_drift(
    records: Iterable[Reservation],
    cloud: CloudSnapshot,
    pods: Iterable[PodSnapshot],
    now: datetime,
    cluster_name: str,
    node_zones: Mapping[str, str],
    created: Optional[Mapping[str, datetime]] = None,
) -> List[Finding]:
    """Every disagreement between records, pods and cloud, in a stable order.

    cloud: the pod subnets with their addresses and every ENI in them. pods: every pod the API server shows.
    node_zones: zone by node name. created: creation time by record label (record.label()).
    """
    records, pods, created = list(records), list(pods), dict(created or {})
    live = LivePods(pods)
    found: List[Finding] = []
    for record in sorted(records, key=lambda r: r.label()):
        found.extend(_record_findings(record, created.get(record.label()), cloud, cluster_name, live, now))
    # Orphan ENIs and unrecorded reserved IPs are what reclaim sweeps; age rules are applied when repairing.
    swept = plan_reclaim(
        records,
        cloud,
        pods,
        now,
        cluster_name,
        ReclaimOptions(min_orphan_age=now - now, sweep_reserved_ips=True, sweep_idle_shared_enis=False),
    )
    recorded = {r.ip for r in records if r.mode is Mode.SHARED}
    for eni in sorted(cloud.enis, key=lambda each: each.eni_id):
        unrecorded = [ip for ip in eni.secondary_ips if ip not in recorded]
        if unrecorded and is_cluster_shared_eni(eni, cluster_name):
            found.append(
                Finding(
                    UNRECORDED_IP_ON_ENI,
                    "ENI %s (%s)" % (eni.eni_id, eni.name),
                    "it holds IPs %s that no PodEniIP or VpcIP records" % ", ".join(unrecorded),
                    "free them (ksyun.kce.eni_private_ip state=absent) or record them (ksyun.kce.pod_eni_ip)",
                    eni.create_time,
                )
            )
    for item in swept.items:
        if item.kind == "eni" and item.decision != REPORT:
            eni = cloud.eni(item.target)
            idle = eni is not None and eni.instance_id and not eni.secondary_ips and item.decision == KEEP
            if not idle:
                found.append(
                    Finding(
                        ORPHAN_ENI,
                        item.name,
                        item.reason,
                        "repair deletes it once it is older than the minimum age",
                        eni.create_time if eni else None,
                        item.actions,
                    )
                )
        elif item.kind == "reserved-ip":
            found.append(
                Finding(
                    UNRECORDED_RESERVED_IP,
                    item.name,
                    item.reason,
                    (
                        "repair unreserves it once a saved report older than the minimum age listed it"
                        if item.actions
                        else "free it where it is used, or record it with ksyun.kce.pod_eni_ip"
                    ),
                    None,
                    item.actions,
                )
            )
    found.extend(_zone_findings(records, pods, node_zones))
    return found


def subnet_picture(subnet: SubnetSnapshot, cloud: CloudSnapshot, records: Iterable[Reservation]) -> Dict[str, Any]:
    """What the audit page draws for a subnet: every assignable address and its state (held, reserved, recorded, free)."""
    recorded = {r.ip for r in records if isinstance(r.ip, str) and r.ip and r.subnet_id == subnet.subnet_id}
    network = ipaddress.ip_network(subnet.cidr, strict=False)
    first = ipaddress.ip_address(subnet.first_ip) if subnet.first_ip else network.network_address + 2
    last = ipaddress.ip_address(subnet.last_ip) if subnet.last_ip else network.broadcast_address - 1
    # Sets once per subnet: a /16 has 65,534 addresses to classify against every ENI's IPs.
    held = {ip for eni in cloud.enis for ip in (eni.primary_ip, *eni.secondary_ips) if ip}
    reserved, available = frozenset(subnet.reserved_ips), frozenset(subnet.available_ips)
    addresses, counts = [], {"held": 0, "reserved": 0, "free": 0, "kept": 0}
    for value in range(int(first), int(last) + 1):
        ip = str(ipaddress.ip_address(value))
        if ip in held:
            state = "held"
        elif ip in reserved:
            state = "reserved"
        elif ip in available:
            state = "free"
        else:
            state = "kept"
        counts[state] += 1
        addresses.append({"ip": ip, "state": state, "recorded": ip in recorded})
    return {
        "subnet_id": subnet.subnet_id,
        "name": subnet.name,
        "cidr": subnet.cidr,
        "zone": subnet.zone,
        "counts": counts,
        "reservations_known": subnet.reservations_known,
        "addresses": addresses,
    }
