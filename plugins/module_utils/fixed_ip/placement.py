# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Placement: which subnet, IP and ENI a pod gets on its node (step 5 of the product page's shared mode)."""

from __future__ import annotations

from typing import AbstractSet, List, Tuple, Union

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import AttachEni, CreateEni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    CrossSubnetRefused,
    InvalidSettings,
    PlacementError,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import (
    is_shared_eni_of,
    parse_eni_name,
    shared_eni_name,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import (
    check_ip_quota,
    check_room_for_eni,
    ip_quota_text,
    ip_room,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_ENI, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    NodeSnapshot,
    SubnetSnapshot,
)


class Retry(Exception):
    """Nothing can be planned until a transient cloud state (an ENI attaching or detaching) settles."""


def _free_ips(subnet: SubnetSnapshot, cloud: CloudSnapshot, recorded_ips: AbstractSet[str]) -> List[str]:
    """Available IPs minus any the snapshot shows reserved or held, or a PodEniIP records (a release may be between calls)."""
    return [
        ip
        for ip in subnet.available_ips
        if ip not in subnet.reserved_ips
        and ip != subnet.gateway_ip
        and ip not in recorded_ips
        and cloud.holder_of(ip) is None
    ]


def choose_ip(
    node: NodeSnapshot, cloud: CloudSnapshot, settings: Settings, recorded_ips: AbstractSet[str] = frozenset()
) -> Tuple[SubnetSnapshot, str]:
    """The first pod subnet of the node's zone with a free IP, and that IP (in the cloud's order)."""
    subnet_ids = settings.subnets_in(node.zone)
    if not subnet_ids:
        raise PlacementError(
            "no pod subnet is configured for zone %r of node %s (pod_subnets has zones: %s); add the zone's "
            "container subnets to pod_subnets"
            % (node.zone, node.name, ", ".join(sorted(settings.pod_subnets)) or "none")
        )
    seen = []
    for subnet_id in subnet_ids:
        subnet = cloud.subnet(subnet_id)
        if subnet is None:
            seen.append("%s (not found)" % subnet_id)
            continue
        if subnet.zone != node.zone:
            seen.append("%s (in zone %s)" % (subnet_id, subnet.zone))
            continue
        free = _free_ips(subnet, cloud, recorded_ips)
        if free:
            return subnet, free[0]
        seen.append("%s (no free IP)" % subnet_id)
    raise PlacementError(
        "no pod subnet in zone %s has a free IP for a pod on node %s: %s; add a subnet to pod_subnets[%s] or "
        "reclaim released IPs" % (node.zone, node.name, ", ".join(seen), node.zone)
    )


def check_zone(record: Reservation, zone: str, subnet_id: str, node: NodeSnapshot) -> None:
    """A fixed IP never moves across subnets, so a node in another zone cannot take it."""
    if zone and zone != node.zone:
        raise CrossSubnetRefused(
            "pod %s/%s holds fixed IP %s in subnet %s (zone %s); node %s is in zone %s; a fixed IP never moves across subnets: "
            "schedule the pod into zone %s (nodeAffinity on topology.kubernetes.io/zone) or reclaim the IP"
            % (
                record.namespace,
                record.pod_name,
                record.ip or "(ENI %s)" % record.eni_id,
                subnet_id or "?",
                zone,
                node.name,
                node.zone,
                zone,
            )
        )


def is_cluster_shared_eni(eni: EniSnapshot, cluster: str) -> bool:
    parsed = parse_eni_name(eni.name)
    return parsed is not None and parsed.cluster == cluster and parsed.mode is Mode.SHARED and not eni.is_primary


def shared_eni(
    node: NodeSnapshot,
    subnet: SubnetSnapshot,
    cloud: CloudSnapshot,
    settings: Settings,
    pod_ip: str,
    recorded_ips: AbstractSet[str] = frozenset(),
) -> Tuple[list, Union[str, Ref], Union[str, Ref]]:
    """Actions and (eni, mac) for a shared ENI of the subnet on the node with a free IP slot for pod_ip.

    Prefers an attached ENI of this cluster with room, then one of the node's own detached empty
    ENIs (a crash after CreateEni left it), and only then creates and attaches a new one, naming its
    primary IP so the cloud's random pick cannot take pod_ip, which is chosen but not yet assigned.
    """
    behaviour = settings.cloud
    check_ip_quota(node, behaviour)
    ours = sorted(
        (
            eni
            for eni in cloud.enis
            if eni.subnet_id == subnet.subnet_id and is_cluster_shared_eni(eni, settings.cluster_name)
        ),
        key=lambda eni: eni.name,
    )
    attached = [eni for eni in ours if eni.instance_id == node.instance_id]
    ready = [eni for eni in attached if not eni.is_transient and ip_room(node, cloud, behaviour, eni) > 0]
    if ready:
        return [], ready[0].eni_id, ready[0].mac
    settling = [eni for eni in attached if eni.is_transient]
    if settling:
        raise Retry("shared ENI %s on node %s is %s" % (settling[0].eni_id, node.name, settling[0].state))
    if ip_room(node, cloud, behaviour, None) < 1:
        raise PlacementError(
            "node %s (instance %s) has no room for another pod IP: %s; schedule the pod on another node or release IPs "
            "there" % (node.name, node.instance_id, ip_quota_text(node, behaviour))
        )
    check_room_for_eni(node, cloud, behaviour, "another shared ENI in subnet %s" % subnet.subnet_id)
    spare = [
        eni
        for eni in ours
        if eni.instance_id is None
        and not eni.secondary_ips
        and not eni.is_transient
        and is_shared_eni_of(eni.name, settings.cluster_name, node.name)
    ]
    if spare:
        return [AttachEni(spare[0].eni_id, node.instance_id)], spare[0].eni_id, spare[0].mac
    if not settings.security_group_ids:
        raise InvalidSettings(
            "security_group_ids is empty, and creating an ENI needs at least one security group; set the "
            "pod security groups in the cluster settings"
        )
    primary = next((ip for ip in _free_ips(subnet, cloud, recorded_ips) if ip != pod_ip), None)
    if primary is None:
        raise PlacementError(
            "subnet %s has no free IP for the primary IP of a new shared ENI on node %s (a shared ENI needs its own IP "
            "besides the pod's %s); add a subnet to pod_subnets[%s] or reclaim released IPs"
            % (subnet.subnet_id, node.name, pod_ip, node.zone)
        )
    names = {eni.name for eni in cloud.enis}
    index = next(i for i in range(len(names) + 1) if shared_eni_name(settings.cluster_name, node.name, i) not in names)
    eni_id, mac = Ref(NEW_ENI, "eni_id"), Ref(NEW_ENI, "mac")
    create = CreateEni(
        NEW_ENI,
        subnet.subnet_id,
        shared_eni_name(settings.cluster_name, node.name, index),
        settings.security_group_ids,
        primary_ip=primary,
    )
    return [create, AttachEni(eni_id, node.instance_id)], eni_id, mac
