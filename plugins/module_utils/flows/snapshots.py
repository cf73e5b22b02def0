# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots for the planners, read with batched calls only (never one call per ENI).

A subnet's reserved IPs (AllocateStatus=specific, unassigned) are not listed by any read call, so
they are derived: the DHCP range of DescribeSubnets (DhcpIpFrom..DhcpIpTo) minus the allocated
addresses minus the available ones. That relies on two modelled behaviours (docs/sandbox.md):
DescribeSubnetAvailableAddresses leaves specific IPs out, and DescribeSubnetAllocatedIpAddresses
lists only IPs held by ENIs. An assigned IP's AllocateStatus cannot be seen at all; see read_cloud.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    ATTACHING, AVAILABLE, DETACHING, IN_USE, CloudSnapshot, EniSnapshot, NodeSnapshot, PodSnapshot, SubnetSnapshot)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.kube import as_dict

INSTANCE_ID_LABEL = "k8s.ksyun.com/instance-id"
PAGE_SIZE = 1000


class SnapshotError(FixedIpError):
    """The cloud or the cluster does not show something a plan needs (a node's instance, its type)."""


@dataclass(frozen=True)
class NodeInfo:
    """A node as the planners see it, plus the subnets of every ENI on its instance (so read_cloud can include them)."""

    snapshot: NodeSnapshot
    eni_subnet_ids: Tuple[str, ...] = ()


def pod_snapshot(pod: Any) -> PodSnapshot:
    """A PodSnapshot of a pod object (dict or dynamic ResourceInstance); ksyun/* resources are summed over containers."""
    data = as_dict(pod)
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    owners = meta.get("ownerReferences") or []
    owner = next((ref for ref in owners if ref.get("controller")), None)
    requests: Dict[str, Any] = {}
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        wanted = dict(resources.get("limits") or {})
        wanted.update(resources.get("requests") or {})
        for key, value in wanted.items():
            if not key.startswith("ksyun/"):
                continue
            try:
                requests[key] = int(str(requests.get(key, 0))) + int(str(value))
            except ValueError:
                requests[key] = value
    return PodSnapshot(
        namespace=meta.get("namespace") or "", name=meta.get("name") or "", uid=meta.get("uid") or "",
        node_name=spec.get("nodeName") or "", owner_kind=owner.get("kind") if owner else None,
        owner_name=owner.get("name", "") if owner else "", annotations=dict(meta.get("annotations") or {}),
        resource_requests=requests, deleting=bool(meta.get("deletionTimestamp")), pod_ip=status.get("podIP") or "")


def instance_id_of(node: Any) -> str:
    """The KEC instance of a Node: its providerID (ksyun://<id>, last path part) or the k8s.ksyun.com/instance-id label."""
    data = as_dict(node)
    provider = ((data.get("spec") or {}).get("providerID") or "").strip()
    if provider:
        return provider.rstrip("/").rsplit("/", 1)[-1]
    return ((data.get("metadata") or {}).get("labels") or {}).get(INSTANCE_ID_LABEL, "")


def read_nodes(cloud, nodes: Iterable[Any], project_ids: Optional[Sequence[Any]] = None) -> Dict[str, NodeInfo]:
    """NodeInfo per node name: one DescribeInstances for all nodes, one DescribeInstanceTypeConfigs for their types."""
    wanted = {}
    for node in nodes:
        data = as_dict(node)
        name = (data.get("metadata") or {}).get("name", "")
        instance_id = instance_id_of(data)
        if not instance_id:
            raise SnapshotError("node %s has no KEC instance id: set spec.providerID to ksyun://<instance id> or the label %s"
                                % (name, INSTANCE_ID_LABEL))
        wanted[name] = instance_id
    if not wanted:
        return {}
    instances = {item.get("InstanceId"): item for item in cloud.describe_instances(sorted(set(wanted.values())), project_ids=project_ids)}
    types = {item.get("InstanceType") for item in instances.values() if item.get("InstanceType")}
    configs = {item.get("InstanceType"): item for item in cloud.describe_instance_type_configs(sorted(types))} if types else {}
    out = {}
    for name, instance_id in sorted(wanted.items()):
        instance = instances.get(instance_id)
        if instance is None:
            raise SnapshotError("node %s names instance %s, which DescribeInstances does not show%s; check the node's providerID, or "
                                "give the instance's project id" % (name, instance_id,
                                                                    " in projects %s" % list(project_ids) if project_ids else " in project 0"))
        itype = instance.get("InstanceType", "")
        config = configs.get(itype)
        if config is None:
            raise SnapshotError("instance %s of node %s has type %r, which DescribeInstanceTypeConfigs does not list, so its ENI "
                                "limits are unknown" % (instance_id, name, itype))
        snapshot = NodeSnapshot(
            name=name, instance_id=instance_id, zone=instance.get("AvailabilityZone") or instance.get("AvailabilityZoneName") or "",
            instance_type=itype, max_enis=int((config.get("NetworkInterfaceQuota") or {}).get("NetworkInterfaceCount", 0)),
            max_ips_per_eni=int((config.get("PrivateIpQuota") or {}).get("PrivateIpCount", 0)))
        subnets = tuple(sorted({nic.get("SubnetId") for nic in instance.get("NetworkInterfaceSet") or [] if nic.get("SubnetId")}))
        out[name] = NodeInfo(snapshot, subnets)
    return out


def _state(item: Mapping[str, Any]) -> str:
    """The domain's ENI states from the API's words (the real ones are unknown; in-flight ones end in -ing)."""
    text = (item.get("State") or "").lower()
    if text.endswith("ing"):
        return DETACHING if "detach" in text else ATTACHING
    return IN_USE if item.get("InstanceId") else AVAILABLE


def _created(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("T", " ").replace("Z", "")).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def eni_snapshot(item: Mapping[str, Any]) -> EniSnapshot:
    """An EniSnapshot of a DescribeNetworkInterfaces item."""
    return EniSnapshot(
        eni_id=item.get("NetworkInterfaceId", ""), name=item.get("NetworkInterfaceName", ""), subnet_id=item.get("SubnetId", ""),
        zone=item.get("AvailabilityZoneName", ""), instance_id=item.get("InstanceId") or None, primary_ip=item.get("PrivateIpAddress", ""),
        secondary_ips=tuple(ip.get("PrivateIpAddress") for ip in item.get("AssignedPrivateIpAddressSet") or [] if ip.get("PrivateIpAddress")),
        mac=item.get("MacAddress", ""), state=_state(item), is_primary=item.get("NetworkInterfaceType") == "primary",
        create_time=_created(item.get("CreateTime")))


def _dhcp_range(item: Mapping[str, Any]) -> List[str]:
    """Every address between DhcpIpFrom and DhcpIpTo; without them, the CIDR's hosts except the gateway."""
    try:
        first, last = ipaddress.ip_address(item["DhcpIpFrom"]), ipaddress.ip_address(item["DhcpIpTo"])
        return [str(ipaddress.ip_address(value)) for value in range(int(first), int(last) + 1)]
    except (KeyError, ValueError):
        hosts = [str(ip) for ip in ipaddress.ip_network(item.get("CidrBlock", "0.0.0.0/32"), strict=False).hosts()]
        return [ip for ip in hosts if ip != item.get("GatewayIp")]


def read_cloud(cloud, subnet_ids: Iterable[str], nodes: Iterable[NodeInfo] = (), maybe_specific: Iterable[str] = ()) -> CloudSnapshot:
    """The ENIs of the pod subnets and of the nodes' instances, and the pod subnets with their free and reserved IPs.

    Calls: one DescribeSubnets, then per pod subnet DescribeSubnetAvailableAddresses before
    DescribeSubnetAllocatedIpAddresses (so an IP assigned between the two reads is never taken for
    reserved), then one paged DescribeNetworkInterfaces filtered by the pod subnets and the subnets
    of the nodes' ENIs. maybe_specific: IPs a bind on one of ``nodes`` may have assigned while they were
    still specific (an assigned IP's AllocateStatus is not visible); those held by an ENI on one of
    those nodes are reported reserved, so the bind sets them back to random (harmless if they already
    are). Never pass it for a release: a release must reserve the IP itself.
    """
    subnet_ids = sorted(set(subnet_ids))
    nodes = list(nodes)
    maybe_specific = set(maybe_specific)
    subnets = []
    for item in cloud.describe_subnets(subnet_ids, page_size=PAGE_SIZE) if subnet_ids else []:
        subnet_id = item.get("SubnetId")
        if subnet_id not in subnet_ids:
            continue
        available = [ip for ip in cloud.describe_subnet_available_addresses(subnet_id, page_size=PAGE_SIZE) if isinstance(ip, str)]
        allocated = {ip for ip in cloud.describe_subnet_allocated_addresses(subnet_id, page_size=PAGE_SIZE) if isinstance(ip, str)}
        free = set(available)
        reserved = {ip for ip in _dhcp_range(item) if ip not in allocated and ip not in free}
        subnets.append(SubnetSnapshot(subnet_id=subnet_id, cidr=item.get("CidrBlock", ""), zone=item.get("AvailabilityZoneName", ""),
                                      gateway_ip=item.get("GatewayIp", ""), reserved_ips=frozenset(reserved), available_ips=tuple(available)))
    eni_subnets = sorted(set(subnet_ids) | {subnet for node in nodes for subnet in node.eni_subnet_ids})
    enis = []
    if eni_subnets:
        enis = [eni_snapshot(item) for item in cloud.describe_network_interfaces(filters={"subnet-id": eni_subnets}, page_size=PAGE_SIZE)]
    instances = {node.snapshot.instance_id for node in nodes}
    held_here = {ip for eni in enis if eni.instance_id in instances for ip in eni.secondary_ips if ip in maybe_specific}
    if held_here:
        subnets = [dataclasses.replace(subnet, reserved_ips=subnet.reserved_ips | {ip for ip in held_here if subnet.contains(ip)})
                   for subnet in subnets]
    return CloudSnapshot(enis=tuple(sorted(enis, key=lambda eni: eni.eni_id)), subnets=tuple(subnets))
