# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instance-type quotas as the cloud counts them: the one place the [U] counting rules of CloudBehaviour are applied.

A node's eni_quota and ip_quota are the API's NetworkInterfaceCount and PrivateIpCount. Whether they
include the primary ENI / primary IP, and whether the IP quota is per ENI or per instance, is unknown
(docs/sandbox.md); CloudBehaviour says which, and the flows and the cloud modules both ask here.

The checks (check_room_for_eni, check_ip_quota) refuse a plan; the counts (eni_room, pod_ip_room and the capacities of
an empty node) say how many more ENIs or pod IPs a node can take, as a device plugin reports ksyun/eni and
ksyun/eni-private-ip (the sandbox's node agent does).
"""

from __future__ import annotations

from typing import AbstractSet, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings, PlacementError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    NodeSnapshot,
)


def _counts(behaviour: CloudBehaviour, primary: bool) -> str:
    return " (the primary one counts)" if primary else " (the primary one does not count)"


def enis_counted(node: NodeSnapshot, cloud: CloudSnapshot, behaviour: CloudBehaviour) -> int:
    """ENIs attached to the node as its quota counts them; every instance has a primary ENI, even when the snapshot left it out."""
    attached = cloud.enis_on(node.instance_id)
    total = len(attached) + (0 if any(eni.is_primary for eni in attached) else 1)
    return total if behaviour.eni_quota_counts_primary else total - 1


def check_room_for_eni(
    node: NodeSnapshot, cloud: CloudSnapshot, behaviour: CloudBehaviour, why: str, eni: Optional[EniSnapshot] = None
) -> None:
    """Refuse, before anything is created or detached, an ENI (eni, or a new one) the node cannot take: no ENI slot
    left, or, where the IP quota is per instance, no room for the IPs the ENI brings (its primary IP at least)."""
    least = 2 if behaviour.eni_quota_counts_primary else 1
    if node.eni_quota < least:
        raise InvalidSettings(
            "node %s (instance type %s) has an ENI quota of %r, which leaves no room beside the primary ENI%s: read it "
            "from the instance type's NetworkInterfaceQuota"
            % (
                node.name,
                node.instance_type or "?",
                node.eni_quota,
                _counts(behaviour, behaviour.eni_quota_counts_primary),
            )
        )
    used = enis_counted(node, cloud, behaviour)
    if used >= node.eni_quota:
        raise PlacementError(
            "node %s (instance %s, type %s) already has %d of %d ENIs attached%s, so it cannot take %s; schedule the pod "
            "on another node or release ENIs there"
            % (
                node.name,
                node.instance_id,
                node.instance_type or "?",
                used,
                node.eni_quota,
                _counts(behaviour, behaviour.eni_quota_counts_primary),
                why,
            )
        )
    if behaviour.ip_quota_per_instance and ip_room(node, cloud, behaviour, eni) < 0:
        raise PlacementError(
            "node %s (instance %s) has no room for the IPs of %s: %s; schedule the pod on another node or release IPs "
            "there" % (node.name, node.instance_id, why, ip_quota_text(node, behaviour))
        )


def ips_counted(eni: EniSnapshot, behaviour: CloudBehaviour) -> int:
    """IPs of one ENI as the IP quota counts them."""
    return len(eni.secondary_ips) + (1 if behaviour.ip_quota_counts_primary else 0)


def ip_room(
    node: NodeSnapshot, cloud: CloudSnapshot, behaviour: CloudBehaviour, eni: Optional[EniSnapshot] = None
) -> int:
    """How many more IPs eni (None: a new ENI of the node, its primary IP included) can take under the node's IP quota."""
    used = ips_counted(eni, behaviour) if eni is not None else (1 if behaviour.ip_quota_counts_primary else 0)
    if behaviour.ip_quota_per_instance:
        used += sum(
            ips_counted(other, behaviour)
            for other in cloud.enis_on(node.instance_id)
            if eni is None or other.eni_id != eni.eni_id
        )
    return node.ip_quota - used


def eni_room(node: NodeSnapshot, cloud: CloudSnapshot, behaviour: CloudBehaviour) -> int:
    """How many more ENIs (each with its primary IP only) the node can take now: its ENI slots left and, where the IP
    quota is per instance and counts primary IPs, no more than the IPs the instance has left."""
    room = node.eni_quota - enis_counted(node, cloud, behaviour)
    if behaviour.ip_quota_per_instance and behaviour.ip_quota_counts_primary:
        room = min(room, ip_room(node, cloud, behaviour, None) + 1)
    return max(room, 0)


def pod_ip_room(
    node: NodeSnapshot, cloud: CloudSnapshot, behaviour: CloudBehaviour, pod_enis: AbstractSet[str] = frozenset()
) -> int:
    """How many more pod IPs (secondary IPs) the node can take now: the room left on its attached ENIs named in
    pod_enis (the ENIs that carry pod IPs; no other ENI takes one), then on new ENIs in the room eni_room leaves."""
    carriers = [eni for eni in cloud.enis_on(node.instance_id) if eni.eni_id in pod_enis and not eni.is_primary]
    new_enis = eni_room(node, cloud, behaviour)
    if behaviour.ip_quota_per_instance:
        # One budget for the whole instance: an ENI that carries pod IPs takes them all; a new one costs its primary IP.
        if carriers:
            return max(ip_room(node, cloud, behaviour, carriers[0]), 0)
        return max(ip_room(node, cloud, behaviour, None), 0) if new_enis else 0
    on_carriers = sum(max(ip_room(node, cloud, behaviour, eni), 0) for eni in carriers)
    return on_carriers + new_enis * max(ip_room(node, cloud, behaviour, None), 0)


def bare_instance(node: NodeSnapshot) -> CloudSnapshot:
    """The node's instance as it boots: its primary ENI with its primary IP, nothing else."""
    primary = EniSnapshot("", "", "", node.zone, node.instance_id, is_primary=True)
    return CloudSnapshot(enis=(primary,))


def eni_capacity(node: NodeSnapshot, behaviour: CloudBehaviour) -> int:
    """The ENIs an empty node can take for pods: eni_room of its bare instance."""
    return eni_room(node, bare_instance(node), behaviour)


def pod_ip_capacity(node: NodeSnapshot, behaviour: CloudBehaviour) -> int:
    """The pod IPs an empty node can hold: pod_ip_room of its bare instance (every one on new ENIs)."""
    return pod_ip_room(node, bare_instance(node), behaviour)


def ip_quota_text(node: NodeSnapshot, behaviour: CloudBehaviour) -> str:
    """E.g. "instance type N3.1A allows 3 private IPs per ENI (the primary one counts)"."""
    scope = "per instance" if behaviour.ip_quota_per_instance else "per ENI"
    return "instance type %s allows %d private IPs %s%s" % (
        node.instance_type or "?",
        node.ip_quota,
        scope,
        _counts(behaviour, behaviour.ip_quota_counts_primary),
    )


def check_ip_quota(node: NodeSnapshot, behaviour: CloudBehaviour) -> None:
    """Shared mode needs room for at least one pod IP on an ENI beside its primary IP."""
    least = 2 if behaviour.ip_quota_counts_primary else 1
    if node.ip_quota < least:
        raise InvalidSettings(
            "node %s: %s, which leaves no room for a pod IP; read it from the instance type's PrivateIpQuota"
            % (node.name, ip_quota_text(node, behaviour))
        )
