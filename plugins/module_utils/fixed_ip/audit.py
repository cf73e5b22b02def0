# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records (reservations and VpcIPs) joined with their cloud and pod state, and their drift (ksyun.kce.fixed_ip_info).

inspect() is pure: it takes what was read once (the records, a cloud snapshot, the pods) and never
calls anything, so the module's reads stay batched however many reservations there are.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.drift import eip_findings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import exclusive_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot, PodSnapshot

HELD = (Phase.BOUND,)


def eni_view(eni: Optional[EniSnapshot]) -> Optional[Dict[str, Any]]:
    return eni.view() if eni is not None else None


def pod_view(record: Reservation, pod: Optional[PodSnapshot]) -> Dict[str, Any]:
    if pod is None:
        return {"exists": False, "uid": "", "uid_matches": False, "node_name": "", "pod_ip": "", "deleting": False}
    return {
        "exists": True,
        "uid": pod.uid,
        "uid_matches": bool(record.pod_uid) and pod.uid == record.pod_uid,
        "node_name": pod.node_name,
        "pod_ip": pod.pod_ip,
        "deleting": pod.deleting,
    }


def _shared_cloud(record: Reservation, cloud: CloudSnapshot, drift: List[str]) -> Dict[str, Any]:
    subnet = cloud.subnet(record.subnet_id)
    holder = cloud.holder_of(record.ip)
    reserved = cloud.is_reserved(record.subnet_id, record.ip) if cloud.reservations_known(record.subnet_id) else None
    if subnet is None:
        drift.append("subnet %s of the record is not in the cloud" % (record.subnet_id or "(none)"))
    elif not subnet.contains(record.ip):
        drift.append("IP %s is outside the record's subnet %s (%s)" % (record.ip, subnet.subnet_id, subnet.cidr))
    if holder is not None and record.phase is Phase.RESERVED:
        drift.append(
            "record says Reserved but IP %s is assigned to ENI %s (instance %s)"
            % (record.ip, holder.eni_id, holder.instance_id or "detached")
        )
    elif holder is not None and record.eni_id and holder.eni_id != record.eni_id:
        drift.append(
            "IP %s is assigned to ENI %s, but the record says ENI %s" % (record.ip, holder.eni_id, record.eni_id)
        )
    if holder is None and record.phase in HELD:
        drift.append("record says %s but no ENI holds IP %s" % (record.phase.value, record.ip))
    if reserved and record.vpc_ip:
        drift.append(
            "IP %s is reserved (specific) in subnet %s, but the IP of a VpcIP is never kept"
            % (record.ip, record.subnet_id)
        )
    if holder is None and reserved is False and record.phase is Phase.RESERVED and subnet is not None:
        drift.append(
            "IP %s is neither assigned nor reserved in subnet %s, so random allocation may hand it out"
            % (record.ip, record.subnet_id)
        )
    return {
        "subnet_found": subnet is not None,
        "ip_reserved": reserved,
        "eni": eni_view(holder),
        "eni_holds_ip": holder is not None,
    }


def _exclusive_cloud(record: Reservation, cloud: CloudSnapshot, cluster: str, drift: List[str]) -> Dict[str, Any]:
    eni = exclusive_eni(record, cloud, cluster) if (record.eni_id or cluster) else None
    if eni is None and record.eni_id:
        drift.append(
            "ENI %s of the record is missing from the cloud, so IP %s is lost" % (record.eni_id, record.ip or "?")
        )
    if eni is not None:
        if record.ip and eni.primary_ip != record.ip:
            drift.append("ENI %s has primary IP %s, but the record says %s" % (eni.eni_id, eni.primary_ip, record.ip))
        if record.phase is Phase.RESERVED and eni.instance_id:
            drift.append("record says Reserved but ENI %s is attached to instance %s" % (eni.eni_id, eni.instance_id))
        if record.phase in HELD and not eni.instance_id:
            drift.append("record says %s but ENI %s is detached" % (record.phase.value, eni.eni_id))
        elif record.phase in HELD and record.instance_id and eni.instance_id != record.instance_id:
            drift.append(
                "ENI %s is attached to instance %s, but the record says instance %s"
                % (eni.eni_id, eni.instance_id, record.instance_id)
            )
    return {
        "subnet_found": cloud.subnet(record.subnet_id) is not None if record.subnet_id else False,
        "ip_reserved": None,
        "eni": eni_view(eni),
        "eni_holds_ip": eni is not None and bool(record.ip) and eni.holds(record.ip),
    }


def _pod_drift(record: Reservation, pod: Optional[PodSnapshot], drift: List[str]) -> None:
    ref = "%s/%s" % (record.namespace, record.pod_name)
    if record.phase in HELD and pod is None:
        drift.append("record says %s but pod %s is gone (its release did not run)" % (record.phase.value, ref))
    elif record.phase in HELD and record.pod_uid and pod.uid != record.pod_uid and not pod.deleting:
        drift.append(
            "record names pod uid %s but pod %s now has uid %s (a new pod not bound yet)"
            % (record.pod_uid, ref, pod.uid)
        )
    elif record.phase in HELD and pod.pod_ip and isinstance(record.ip, str) and record.ip and pod.pod_ip != record.ip:
        drift.append("pod %s has IP %s, but the record says %s" % (ref, pod.pod_ip, record.ip))


def inspect(
    stored: Iterable[Any],
    cloud: Optional[CloudSnapshot],
    pods: Mapping[Tuple[str, str], PodSnapshot],
    cluster_name: str = "",
) -> List[Dict[str, Any]]:
    """One entry per record: its content, cloud state (None when the cloud was not read), pod state and drift.

    A record with an EIP (eipId) gets cloud["eip"] (None when it is gone); cloud.addresses must hold the records' EIPs.
    """
    out = []
    for item in sorted(stored, key=lambda s: (s.kind, s.namespace, s.name)):
        record = item.reservation
        pod = pods.get((record.namespace, record.pod_name))
        drift: List[str] = []
        if cloud is None:
            cloud_state = None
        elif record.mode is Mode.SHARED:
            cloud_state = _shared_cloud(record, cloud, drift)
        else:
            cloud_state = _exclusive_cloud(record, cloud, cluster_name, drift)
        _pod_drift(record, pod, drift)
        if cloud is not None and cloud_state is not None and record.eip_id:
            eip = cloud.address(record.eip_id)
            cloud_state["eip"] = eip.view() if eip is not None else None
            drift.extend("%s; %s" % (finding.detail, finding.fix) for finding in eip_findings(record, None, cloud))
        out.append(
            {
                "kind": item.kind,
                "namespace": item.namespace,
                "name": item.name,
                "reservation": record.to_dict(),
                "cloud": cloud_state,
                "pod": pod_view(record, pod),
                "drift": drift,
                "in_sync": not drift,
            }
        )
    return out
