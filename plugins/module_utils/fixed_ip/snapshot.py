# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots: what the cluster and the cloud looked like when a plan was made (read once, never fetched here)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Optional, Tuple

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
    """A node and the ENI limits of its instance type (both counts include the primary ENI / primary IP)."""

    name: str
    instance_id: str
    zone: str
    instance_type: str = ""
    max_enis: int = 0
    max_ips_per_eni: int = 0


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

    def __post_init__(self):
        object.__setattr__(self, "secondary_ips", tuple(self.secondary_ips or ()))
        object.__setattr__(self, "instance_id", self.instance_id or None)

    @property
    def is_transient(self) -> bool:
        return self.state in TRANSIENT_STATES

    def holds(self, ip: str) -> bool:
        return ip == self.primary_ip or ip in self.secondary_ips


@dataclass(frozen=True)
class SubnetSnapshot:
    """A subnet; reserved_ips are AllocateStatus=specific, available_ips are free for anyone to take."""

    subnet_id: str
    cidr: str
    zone: str
    gateway_ip: str = ""
    reserved_ips: frozenset = frozenset()
    available_ips: Tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "reserved_ips", frozenset(self.reserved_ips or ()))
        object.__setattr__(self, "available_ips", tuple(self.available_ips or ()))

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(self.cidr, strict=False)
        except ValueError:
            return False


@dataclass(frozen=True)
class CloudSnapshot:
    """The ENIs (every ENI on the nodes involved, primary ones too) and the pod subnets."""

    enis: Tuple[EniSnapshot, ...] = ()
    subnets: Tuple[SubnetSnapshot, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "enis", tuple(self.enis or ()))
        object.__setattr__(self, "subnets", tuple(self.subnets or ()))

    def eni(self, eni_id) -> Optional[EniSnapshot]:
        return next((eni for eni in self.enis if eni.eni_id == eni_id), None) if eni_id else None

    def enis_named(self, name: str) -> Tuple[EniSnapshot, ...]:
        return tuple(sorted((eni for eni in self.enis if eni.name == name), key=lambda eni: eni.eni_id))

    def enis_on(self, instance_id: str) -> Tuple[EniSnapshot, ...]:
        return tuple(eni for eni in self.enis if instance_id and eni.instance_id == instance_id)

    def eni_count_on(self, instance_id: str) -> int:
        """ENIs attached to an instance, counting its primary ENI even when the snapshot left it out."""
        attached = self.enis_on(instance_id)
        return len(attached) + (0 if any(eni.is_primary for eni in attached) else 1)

    def holder_of(self, ip: str) -> Optional[EniSnapshot]:
        """The ENI that has ip as its primary or a secondary IP, if any."""
        return next((eni for eni in self.enis if ip and eni.holds(ip)), None)

    def subnet(self, subnet_id: str) -> Optional[SubnetSnapshot]:
        return next((subnet for subnet in self.subnets if subnet.subnet_id == subnet_id), None)

    def is_reserved(self, subnet_id: str, ip: str) -> bool:
        subnet = self.subnet(subnet_id)
        return subnet is not None and ip in subnet.reserved_ips
