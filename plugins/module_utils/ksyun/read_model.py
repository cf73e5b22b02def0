# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one cloud read model: KSYUN API answers as the domain's snapshots, read with batched, paged calls only.

Every cloud fact the flows and the modules use is read and normalised here, and nowhere else: ENIs
and their state, subnets with their DHCP range and their available, allocated and reserved
(AllocateStatus=specific) addresses, instances with their type's ENI and IP quotas.

No call reads a free IP's AllocateStatus, so a subnet's reserved IPs are derived (docs/sandbox.md):
the DHCP range minus the available and the allocated addresses, plus allocated addresses that no
ENI holds (in case the allocated list shows reservations). That works only while
DescribeSubnetAvailableAddresses leaves specific IPs out; CloudBehaviour.available_excludes_reserved says
whether it does, and when it does not, the snapshot says reservations are unknown.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    ATTACHING,
    AVAILABLE,
    DETACHING,
    IN_USE,
    CloudSnapshot,
    EipSnapshot,
    EniSnapshot,
    NodeSnapshot,
    SubnetSnapshot,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.eip import EIP_NAME_TAG
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import first_or_none

PAGE_SIZE = 1000
PRIMARY = "primary"


def eni_state(item: Mapping[str, Any]) -> str:
    """The domain's ENI state from the API's words: the real values are unknown, in-flight ones end in -ing."""
    text = (item.get("State") or "").lower()
    if text.endswith("ing"):
        return DETACHING if "detach" in text else ATTACHING
    return IN_USE if item.get("InstanceId") else AVAILABLE


def _time(text: Optional[str]) -> Optional[datetime]:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("T", " ").replace("Z", "")).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def eni_snapshot(item: Mapping[str, Any]) -> EniSnapshot:
    """An EniSnapshot of a DescribeNetworkInterfaces item."""
    groups = [g.get("SecurityGroupId") for g in item.get("SecurityGroupSet") or [] if g.get("SecurityGroupId")]
    return EniSnapshot(
        eni_id=item.get("NetworkInterfaceId", ""),
        name=item.get("NetworkInterfaceName") or "",
        subnet_id=item.get("SubnetId", ""),
        zone=item.get("AvailabilityZoneName", ""),
        instance_id=item.get("InstanceId") or None,
        primary_ip=item.get("PrivateIpAddress", ""),
        secondary_ips=tuple(
            ip.get("PrivateIpAddress")
            for ip in item.get("AssignedPrivateIpAddressSet") or []
            if ip.get("PrivateIpAddress")
        ),
        mac=item.get("MacAddress", ""),
        state=eni_state(item),
        is_primary=item.get("NetworkInterfaceType") == PRIMARY,
        create_time=_time(item.get("CreateTime")),
        vpc_id=item.get("VpcId", ""),
        cidr_block=item.get("CidrBlock", ""),
        security_group_ids=tuple(groups or ([item["SecurityGroupId"]] if item.get("SecurityGroupId") else [])),
    )


def address_snapshot(item: Mapping[str, Any]) -> EipSnapshot:
    """An EipSnapshot of a DescribeAddresses item (with TagSet when it was asked for: the name tag)."""
    tags = {t.get("TagKey"): t.get("TagValue") for t in item.get("TagSet") or [] if isinstance(t, Mapping)}
    associated = (item.get("State") or "").lower() == "associate"
    return EipSnapshot(
        allocation_id=item.get("AllocationId", ""),
        public_ip=item.get("PublicIp") or "",
        state="associate" if associated else "disassociate",
        name=tags.get(EIP_NAME_TAG) or "",
        eni_id=item.get("NetworkInterfaceId") or "" if associated else "",
        instance_id=item.get("InstanceId") or "" if associated else "",
        private_ip=item.get("PrivateIpAddress") or "" if associated else "",
        band_width=_int(item.get("BandWidth")),
        line_id=item.get("LineId") or "",
        charge_type=item.get("ChargeType") or "",
        project_id="" if item.get("ProjectId") is None else str(item.get("ProjectId")),
        create_time=_time(item.get("CreateTime")),
    )


def dhcp_range(item: Mapping[str, Any]) -> List[str]:
    """Every address ENIs may take: DhcpIpFrom..DhcpIpTo without the gateway; the CIDR's hosts when the API does not say."""
    network = ipaddress.ip_network(item.get("CidrBlock") or "0.0.0.0/32", strict=False)
    try:
        first, last = ipaddress.ip_address(item["DhcpIpFrom"]), ipaddress.ip_address(item["DhcpIpTo"])
    except (KeyError, ValueError):
        first, last = network.network_address + 1, network.broadcast_address - 1
    gateway = item.get("GatewayIp") or str(network.network_address + 1)
    return [
        str(ipaddress.ip_address(value))
        for value in range(int(first), int(last) + 1)
        if str(ipaddress.ip_address(value)) != gateway
    ]


def subnet_snapshot(
    item: Mapping[str, Any],
    available: Optional[Sequence[str]] = None,
    allocated: Optional[Sequence[str]] = None,
    held: Iterable[str] = (),
    behaviour: CloudBehaviour = CloudBehaviour(),
) -> SubnetSnapshot:
    """A SubnetSnapshot of a DescribeSubnets item, with its address lists when they were read (None: not read).

    held: every IP the subnet's ENIs hold (primary and secondary), read after the address lists.
    """
    network = ipaddress.ip_network(item.get("CidrBlock") or "0.0.0.0/32", strict=False)
    listed = available is not None and allocated is not None and behaviour.available_excludes_reserved
    reserved_free: Set[str] = set()
    reserved: Set[str] = set()
    if listed:
        free, used = set(available), set(allocated)
        reserved_free = {ip for ip in dhcp_range(item) if ip not in free and ip not in used}
        reserved = reserved_free | (used - set(held))
    subnet = SubnetSnapshot(
        subnet_id=item.get("SubnetId", ""),
        cidr=item.get("CidrBlock", ""),
        zone=item.get("AvailabilityZoneName", ""),
        gateway_ip=item.get("GatewayIp") or str(network.network_address + 1),
        reserved_ips=frozenset(reserved),
        available_ips=tuple(available or ()),
        reservations_known=listed,
        name=item.get("SubnetName", ""),
        vpc_id=item.get("VpcId", ""),
        subnet_type=item.get("SubnetType", ""),
        first_ip=item.get("DhcpIpFrom", ""),
        last_ip=item.get("DhcpIpTo", ""),
        allocated_ips=tuple(allocated or ()),
        available_count=_int(item.get("AvailableIpNumber")),
        random_available_count=_int(item.get("RandomAvailableIpNum")),
    )
    counted = subnet.counted_reserved_free
    if listed and counted is not None and counted > len(reserved_free):
        # The API counts more reserved free IPs than the lists show, so the available list must be listing them (as
        # if available_excludes_reserved were false): the lists cannot tell reservations, the records decide.
        return dataclasses.replace(subnet, reserved_ips=frozenset(), reservations_known=False)
    return subnet


@dataclass(frozen=True)
class Instance:
    """A KEC instance with its ENIs (ids and subnets, primary first) and its type's quotas as the API gives them."""

    instance_id: str
    name: str = ""
    instance_type: str = ""
    state: str = ""
    zone: str = ""
    vpc_id: str = ""
    subnet_id: str = ""
    private_ip: str = ""
    project_id: Optional[str] = None
    eni_ids: Tuple[str, ...] = ()
    eni_subnet_ids: Tuple[str, ...] = ()
    eni_quota: Optional[int] = None
    ip_quota: Optional[int] = None

    @property
    def has_quotas(self) -> bool:
        return self.eni_quota is not None and self.ip_quota is not None

    def node(self, name: str = "") -> NodeSnapshot:
        """The instance as the domain's NodeSnapshot (name: the Kubernetes node name; the instance id by default)."""
        return NodeSnapshot(
            name=name or self.instance_id,
            instance_id=self.instance_id,
            zone=self.zone,
            instance_type=self.instance_type,
            eni_quota=self.eni_quota or 0,
            ip_quota=self.ip_quota or 0,
        )


def _quotas(config: Mapping[str, Any]) -> Tuple[int, int]:
    return (
        int((config.get("NetworkInterfaceQuota") or {}).get("NetworkInterfaceCount", 0)),
        int((config.get("PrivateIpQuota") or {}).get("PrivateIpCount", 0)),
    )


def _instance(item: Mapping[str, Any], quotas: Mapping[str, Tuple[int, int]]) -> Instance:
    nics = sorted(
        item.get("NetworkInterfaceSet") or [],
        key=lambda nic: (nic.get("NetworkInterfaceType") != PRIMARY, nic.get("NetworkInterfaceId") or ""),
    )
    eni_quota, ip_quota = quotas.get(item.get("InstanceType"), (None, None))
    project = item.get("ProjectId")
    return Instance(
        instance_id=item.get("InstanceId", ""),
        name=item.get("InstanceName", ""),
        instance_type=item.get("InstanceType", ""),
        state=(item.get("InstanceState") or {}).get("Name", ""),
        zone=item.get("AvailabilityZone") or item.get("AvailabilityZoneName") or "",
        vpc_id=item.get("VpcId", ""),
        subnet_id=item.get("SubnetId", ""),
        private_ip=item.get("PrivateIpAddress", ""),
        project_id=None if project is None else str(project),
        eni_ids=tuple(n["NetworkInterfaceId"] for n in nics if n.get("NetworkInterfaceId")),
        eni_subnet_ids=tuple(sorted({n["SubnetId"] for n in nics if n.get("SubnetId")})),
        eni_quota=eni_quota,
        ip_quota=ip_quota,
    )


class CloudReader:
    """Batched reads of a KsyunClient as snapshots; behaviour says how the [U] parts of the answers are read."""

    def __init__(self, client: Any, behaviour: CloudBehaviour = CloudBehaviour(), page_size: int = PAGE_SIZE) -> None:
        self.client, self.behaviour, self.page_size = client, behaviour, page_size

    @property
    def region(self) -> str:
        return self.client.config.region

    def enis(
        self, eni_ids: Optional[Sequence[str]] = None, filters: Optional[Mapping[str, Any]] = None
    ) -> List[EniSnapshot]:
        """Every matching ENI (one paged DescribeNetworkInterfaces), by id."""
        items = self.client.describe_network_interfaces(
            list(eni_ids) if eni_ids else None, filters=filters or None, page_size=self.page_size
        )
        return sorted((eni_snapshot(item) for item in items), key=lambda eni: eni.eni_id)

    def eni(self, eni_id: str) -> Optional[EniSnapshot]:
        return first_or_none(lambda: [eni for eni in self.enis([eni_id]) if eni.eni_id == eni_id])

    def subnets(
        self, subnet_ids: Optional[Sequence[str]] = None, filters: Optional[Mapping[str, Any]] = None
    ) -> List[SubnetSnapshot]:
        """Subnets without their address lists (one paged DescribeSubnets), by id."""
        items = self.client.describe_subnets(
            list(subnet_ids) if subnet_ids else None, filters=filters or None, page_size=self.page_size
        )
        wanted = set(subnet_ids or ())
        return sorted(
            (
                subnet_snapshot(item, behaviour=self.behaviour)
                for item in items
                if not wanted or item.get("SubnetId") in wanted
            ),
            key=lambda subnet: subnet.subnet_id,
        )

    def subnet(self, subnet_id: str) -> Optional[SubnetSnapshot]:
        return first_or_none(lambda: self.subnets([subnet_id]))

    def cloud(
        self,
        subnet_ids: Optional[Iterable[str]] = None,
        instances: Iterable[Instance] = (),
        maybe_specific: Iterable[str] = (),
        filters: Optional[Mapping[str, Any]] = None,
    ) -> CloudSnapshot:
        """The subnets (by id, or matching filters) with their addresses, and every ENI in them and on the instances.

        Calls: one DescribeSubnets; per subnet DescribeSubnetAvailableAddresses, then
        DescribeSubnetAllocatedIpAddresses; then one paged DescribeNetworkInterfaces for the subnets and the
        subnets of the instances' ENIs (read last, so an IP assigned meanwhile shows as held, never reserved).
        An empty subnet_ids reads no subnet. maybe_specific: IPs a bind on one of the instances may have assigned
        while they were still specific (an assigned IP's AllocateStatus cannot be read); held there, they are
        reported reserved so the bind sets them back to random. Never pass it for a release: a release must
        reserve the IP itself.
        """
        ids = None if subnet_ids is None else sorted(set(subnet_ids))
        instances = list(instances)
        items = []
        if ids is None or ids:
            items = self.client.describe_subnets(ids or None, filters=filters or None, page_size=self.page_size)
        addresses: Dict[str, Tuple[Mapping[str, Any], List[str], List[str]]] = {}
        for item in items:
            subnet_id = item.get("SubnetId")
            if ids is not None and subnet_id not in ids:
                continue
            available = [
                ip
                for ip in self.client.describe_subnet_available_addresses(subnet_id, page_size=self.page_size)
                if isinstance(ip, str)
            ]
            allocated = [
                ip
                for ip in self.client.describe_subnet_allocated_addresses(subnet_id, page_size=self.page_size)
                if isinstance(ip, str)
            ]
            addresses[subnet_id] = (item, available, allocated)
        eni_subnets = sorted(set(addresses) | {subnet for instance in instances for subnet in instance.eni_subnet_ids})
        enis = self.enis(filters={"subnet-id": eni_subnets}) if eni_subnets else []
        held = {ip for eni in enis for ip in eni.private_ips}
        ours = {instance.instance_id for instance in instances}
        wanted = set(maybe_specific)
        binding = {ip for eni in enis if eni.instance_id in ours for ip in eni.secondary_ips if ip in wanted}
        subnets = []
        for subnet_id in sorted(addresses):
            item, available, allocated = addresses[subnet_id]
            subnet = subnet_snapshot(item, available, allocated, held, self.behaviour)
            if subnet.reservations_known and binding:
                subnet = dataclasses.replace(
                    subnet, reserved_ips=subnet.reserved_ips | {ip for ip in binding if subnet.contains(ip)}
                )
            subnets.append(subnet)
        return CloudSnapshot(enis=tuple(enis), subnets=tuple(subnets))

    def quotas(self, instance_types: Iterable[str]) -> Dict[str, Tuple[int, int]]:
        """(eni_quota, ip_quota) per instance type, from one DescribeInstanceTypeConfigs."""
        types = sorted({t for t in instance_types if t})
        if not types:
            return {}
        return {item.get("InstanceType"): _quotas(item) for item in self.client.describe_instance_type_configs(types)}

    def instances(
        self,
        instance_ids: Optional[Sequence[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        project_ids: Optional[Sequence[Any]] = None,
    ) -> List[Instance]:
        """Matching instances with their quotas: one paged DescribeInstances, one DescribeInstanceTypeConfigs."""
        items = self.client.describe_instances(
            list(instance_ids) if instance_ids else None,
            filters=filters or None,
            project_ids=project_ids,
            page_size=100,
        )
        wanted = set(instance_ids or ())
        items = [item for item in items if not wanted or item.get("InstanceId") in wanted]
        quotas = self.quotas(item.get("InstanceType") for item in items)
        return sorted((_instance(item, quotas) for item in items), key=lambda instance: instance.instance_id)

    def instance(self, instance_id: str, project_ids: Optional[Sequence[Any]] = None) -> Optional[Instance]:
        return first_or_none(lambda: self.instances([instance_id], project_ids=project_ids))

    def addresses(
        self,
        allocation_ids: Optional[Sequence[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        state: Optional[str] = None,
    ) -> List[EipSnapshot]:
        """Every matching EIP with its name (one paged DescribeAddresses with tags), by allocation id."""
        items = self.client.describe_addresses(
            list(allocation_ids) if allocation_ids else None,
            filters=filters or None,
            state=state,
            with_tags=True,
            page_size=self.page_size,
        )
        wanted = set(allocation_ids or ())
        return sorted(
            (address_snapshot(item) for item in items if not wanted or item.get("AllocationId") in wanted),
            key=lambda eip: eip.allocation_id,
        )

    def address(self, allocation_id: str) -> Optional[EipSnapshot]:
        return first_or_none(lambda: self.addresses([allocation_id]))

    def security_groups(self, group_ids: Sequence[str]) -> Dict[str, Mapping[str, Any]]:
        """The groups that exist, by id (one paged DescribeSecurityGroups)."""
        return {
            g["SecurityGroupId"]: g
            for g in self.client.describe_security_groups(list(group_ids), page_size=self.page_size)
        }
