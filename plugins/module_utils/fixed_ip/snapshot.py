# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots: what the cluster and the cloud looked like when a plan was made (read once, never fetched here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Mapping, Optional, Tuple

ATTACHING = "attaching"
DETACHING = "detaching"
IN_USE = "in-use"
AVAILABLE = "available"
TRANSIENT_STATES = frozenset((ATTACHING, DETACHING))


def _own_copy(owner, name):
    """A private dict copy, so a caller changing its mapping later cannot change the snapshot."""
    object.__setattr__(owner, name, dict(getattr(owner, name) or {}))


@dataclass(frozen=True)
class PodSnapshot:
    """A pod as the API server shows it; resource_requests merges requests and limits over containers.

    pod_ip is the IP the pod's status already shows (empty if none), so a rerun sees the network is set.
    """

    namespace: str
    name: str
    uid: str
    node_name: str = ""
    owner_kind: Optional[str] = None
    owner_name: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    resource_requests: Mapping[str, Any] = field(default_factory=dict)
    deleting: bool = False
    pod_ip: str = ""

    def __post_init__(self):
        _own_copy(self, "annotations")
        _own_copy(self, "resource_requests")

    @property
    def ref(self) -> str:
        return "%s/%s" % (self.namespace, self.name)


@dataclass(frozen=True)
class NodeSnapshot:
    """A node (or any KEC instance) and its type's quotas as the API gives them (quota.py interprets them)."""

    name: str
    instance_id: str
    zone: str
    instance_type: str = ""
    eni_quota: int = 0
    ip_quota: int = 0


@dataclass(frozen=True)
class EniSnapshot:
    """An ENI; instance_id is None while detached, create_time lets orphan sweeps skip young ENIs."""

    eni_id: str
    name: str
    subnet_id: str
    zone: str
    instance_id: Optional[str] = None
    primary_ip: str = ""
    secondary_ips: Tuple[str, ...] = ()
    mac: str = ""
    state: str = AVAILABLE
    is_primary: bool = False
    create_time: Optional[datetime] = None
    vpc_id: str = ""
    security_group_ids: Tuple[str, ...] = ()
    cidr_block: str = ""

    def __post_init__(self):
        object.__setattr__(self, "secondary_ips", tuple(self.secondary_ips or ()))
        object.__setattr__(self, "security_group_ids", tuple(self.security_group_ids or ()))
        object.__setattr__(self, "instance_id", self.instance_id or None)

    @property
    def is_transient(self) -> bool:
        return self.state in TRANSIENT_STATES

    @property
    def private_ips(self) -> Tuple[str, ...]:
        """The primary IP first, then the secondary IPs."""
        return ((self.primary_ip,) if self.primary_ip else ()) + self.secondary_ips

    def holds(self, ip: str) -> bool:
        return ip == self.primary_ip or ip in self.secondary_ips

    def view(self) -> Dict[str, Any]:
        """The ENI as every module returns it (snake_case, stable keys)."""
        return {
            "id": self.eni_id,
            "name": self.name,
            "type": "primary" if self.is_primary else "extension",
            "state": self.state,
            "vpc_id": self.vpc_id,
            "subnet_id": self.subnet_id,
            "cidr_block": self.cidr_block,
            "availability_zone": self.zone,
            "private_ip_address": self.primary_ip,
            "secondary_private_ip_addresses": list(self.secondary_ips),
            "security_groups": list(self.security_group_ids),
            "mac_address": self.mac,
            "instance_id": self.instance_id,
            "create_time": self.create_time.strftime("%Y-%m-%dT%H:%M:%SZ") if self.create_time else None,
        }


@dataclass(frozen=True)
class SubnetSnapshot:
    """A subnet. available_ips are free for anyone to take; reserved_ips are free but AllocateStatus=specific.

    reservations_known is False when the cloud's address lists cannot show reservations (CloudBehaviour
    available_excludes_reserved) or they were not read: reserved_ips is then empty and a reservation is known only
    from the record that made it. first_ip..last_ip is the range ENIs may take (DhcpIpFrom..DhcpIpTo).
    """

    subnet_id: str
    cidr: str
    zone: str
    gateway_ip: str = ""
    reserved_ips: frozenset = frozenset()
    available_ips: Tuple[str, ...] = ()
    reservations_known: bool = True
    name: str = ""
    vpc_id: str = ""
    subnet_type: str = ""
    first_ip: str = ""
    last_ip: str = ""
    allocated_ips: Tuple[str, ...] = ()
    available_count: Optional[int] = None
    random_available_count: Optional[int] = None

    def __post_init__(self):
        object.__setattr__(self, "reserved_ips", frozenset(self.reserved_ips or ()))
        object.__setattr__(self, "available_ips", tuple(self.available_ips or ()))
        object.__setattr__(self, "allocated_ips", tuple(self.allocated_ips or ()))

    @property
    def counted_reserved_free(self) -> Optional[int]:
        """The free IPs the API counts as reserved (AvailableIpNumber - RandomAvailableIpNum), None if it does not say."""
        if self.available_count is None or self.random_available_count is None:
            return None
        return self.available_count - self.random_available_count

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(self.cidr, strict=False)
        except ValueError:
            return False

    def is_special(self, ip: str) -> bool:
        """The network, gateway or broadcast address, which no ENI can hold."""
        network = ipaddress.ip_network(self.cidr, strict=False)
        address = ipaddress.ip_address(ip)
        return address in (network.network_address, network.broadcast_address) or ip == (
            self.gateway_ip or str(network.network_address + 1)
        )

    def in_range(self, ip: str) -> bool:
        """Inside first_ip..last_ip (the platform keeps the addresses outside); True when the range is unknown."""
        if not self.first_ip or not self.last_ip:
            return True
        return ipaddress.ip_address(self.first_ip) <= ipaddress.ip_address(ip) <= ipaddress.ip_address(self.last_ip)


EIP_ASSOCIATED = "associate"
EIP_FREE = "disassociate"


@dataclass(frozen=True)
class EipSnapshot:
    """An elastic public IP; eni_id/instance_id/private_ip say what it is associated with (empty when it is not).

    name is the one the collection set (a tag), "" when it has none.
    """

    allocation_id: str
    public_ip: str = ""
    state: str = EIP_FREE
    name: str = ""
    eni_id: str = ""
    instance_id: str = ""
    private_ip: str = ""
    band_width: Optional[int] = None
    line_id: str = ""
    charge_type: str = ""
    project_id: str = ""
    create_time: Optional[datetime] = None

    @property
    def associated(self) -> bool:
        return self.state == EIP_ASSOCIATED

    def bound_to(self, eni_id: str, ip: str) -> bool:
        return self.associated and self.eni_id == eni_id and self.private_ip == ip

    def target(self) -> str:
        """Where it is associated, in words ("not associated" when free)."""
        if not self.associated:
            return "not associated"
        return "%s of network interface %s (instance %s)" % (
            self.private_ip or "?",
            self.eni_id or "(none holds the IP now)",
            self.instance_id or "-",
        )

    def view(self) -> Dict[str, Any]:
        """The EIP as every module returns it (snake_case, stable keys)."""
        return {
            "allocation_id": self.allocation_id,
            "public_ip": self.public_ip,
            "name": self.name,
            "state": self.state,
            "network_interface_id": self.eni_id or None,
            "instance_id": self.instance_id or None,
            "private_ip_address": self.private_ip or None,
            "band_width": self.band_width,
            "line_id": self.line_id,
            "charge_type": self.charge_type,
            "project_id": self.project_id,
            "create_time": self.create_time.strftime("%Y-%m-%dT%H:%M:%SZ") if self.create_time else None,
        }


@dataclass(frozen=True)
class CloudSnapshot:
    """The ENIs (every ENI on the nodes involved, primary ones too), the pod subnets and the EIPs read (if any)."""

    enis: Tuple[EniSnapshot, ...] = ()
    subnets: Tuple[SubnetSnapshot, ...] = ()
    addresses: Tuple[EipSnapshot, ...] = ()
    # Indexes built once (a plan asks thousands of times; each question used to scan every ENI).
    _by_id: Dict[str, EniSnapshot] = field(default_factory=dict, init=False, repr=False, compare=False)
    _by_ip: Dict[str, EniSnapshot] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "enis", tuple(self.enis or ()))
        object.__setattr__(self, "subnets", tuple(self.subnets or ()))
        object.__setattr__(self, "addresses", tuple(self.addresses or ()))
        by_id: Dict[str, EniSnapshot] = {}
        by_ip: Dict[str, EniSnapshot] = {}
        for eni in self.enis:
            by_id.setdefault(eni.eni_id, eni)
            for ip in (eni.primary_ip, *eni.secondary_ips):
                if ip:
                    by_ip.setdefault(ip, eni)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_ip", by_ip)

    def eni(self, eni_id: Optional[str]) -> Optional[EniSnapshot]:
        return self._by_id.get(eni_id) if eni_id else None

    def address(self, allocation_id: Optional[str]) -> Optional[EipSnapshot]:
        return next((eip for eip in self.addresses if allocation_id and eip.allocation_id == allocation_id), None)

    def enis_named(self, name: str) -> Tuple[EniSnapshot, ...]:
        return tuple(sorted((eni for eni in self.enis if eni.name == name), key=lambda eni: eni.eni_id))

    def enis_on(self, instance_id: str) -> Tuple[EniSnapshot, ...]:
        return tuple(eni for eni in self.enis if instance_id and eni.instance_id == instance_id)

    def holder_of(self, ip: str) -> Optional[EniSnapshot]:
        """The ENI that has ip as its primary or a secondary IP, if any (the first in order if several claim it)."""
        return self._by_ip.get(ip) if ip else None

    def subnet(self, subnet_id: str) -> Optional[SubnetSnapshot]:
        return next((subnet for subnet in self.subnets if subnet.subnet_id == subnet_id), None)

    def is_reserved(self, subnet_id: str, ip: str) -> bool:
        """The subnet shows ip as reserved (see reservations_known for whether it could)."""
        subnet = self.subnet(subnet_id)
        return subnet is not None and ip in subnet.reserved_ips

    def reservations_known(self, subnet_id: str) -> bool:
        subnet = self.subnet(subnet_id)
        return subnet is not None and subnet.reservations_known
