# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A KCE cluster as the collection sees it: the cluster, its VPC-CNI settings, its nodes (read once, never fetched here).

The platform's phase words are translated by the read model (ksyun/kce_model.py); the domain only knows its own phase
words below. The VPC-CNI DaemonMode words live here, beside the domain's Mode they name, because the cluster's
configuration (flows/cluster_config.py, read by the controller's filters too) checks them without the cloud layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode

# kce2 VpcCNI.DaemonMode (C, reference kce-api.md §4): eniMultiIP = shared ENI (共享网卡), eniOnly = exclusive ENI (独占网卡).
DAEMON_MODES: Dict[Mode, str] = {Mode.SHARED: "eniMultiIP", Mode.EXCLUSIVE: "eniOnly"}

# The cluster's platform phase (KCE 2.0 Status.Phase) in the collection's words.
PHASE_RUNNING = "running"
PHASE_UPDATING = "updating"
PHASE_FAILED = "failed"
PHASE_OTHER = "other"


@dataclass(frozen=True)
class VpcCniSettings:
    """VPC-CNI of a cluster: on or off, the ENI mode (shared = one ENI for many pods, exclusive = an ENI per pod), the pod
    subnets and the security group of the pods' ENIs. daemon_mode is the platform's own word, shown as it was read."""

    enabled: bool = False
    mode: Optional[Mode] = None
    subnet_ids: Tuple[str, ...] = ()
    security_group_id: str = ""
    daemon_mode: str = ""

    def __post_init__(self):
        object.__setattr__(self, "subnet_ids", tuple(self.subnet_ids or ()))

    def matches(self, wanted: "VpcCniSettings") -> bool:
        """Whether these settings are what wanted asks for: off is off whatever else is kept; on compares mode, the set
        of subnets (their order does not matter) and the security group."""
        if not wanted.enabled:
            return not self.enabled
        return (
            self.enabled
            and self.mode == wanted.mode
            and set(self.subnet_ids) == set(wanted.subnet_ids)
            and self.security_group_id == wanted.security_group_id
        )

    def describe(self) -> str:
        """One phrase: "disabled", or "enabled in shared mode (subnets a, b; security group g)"."""
        if not self.enabled:
            return "disabled"
        return "enabled in %s mode (subnets %s; security group %s)" % (
            self.mode.value if self.mode else "unknown (%s)" % (self.daemon_mode or "none"),
            ", ".join(self.subnet_ids) or "none",
            self.security_group_id or "none",
        )

    def view(self) -> Dict[str, Any]:
        return {
            "enabled": self.enabled,
            "mode": self.mode.value if self.mode else None,
            "daemon_mode": self.daemon_mode or None,
            "subnet_ids": list(self.subnet_ids),
            "security_group_id": self.security_group_id or None,
        }


@dataclass(frozen=True)
class ClusterNode:
    """A node of a cluster: its KEC instance, where it is (zone, subnet) and what the platform says of it."""

    instance_id: str
    name: str = ""
    role: str = ""
    status: str = ""
    zone: str = ""
    subnet_id: str = ""
    vpc_id: str = ""
    instance_type: str = ""
    private_ip: str = ""
    security_group_ids: Tuple[str, ...] = ()

    def view(self) -> Dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "name": self.name,
            "role": self.role,
            "status": self.status,
            "availability_zone": self.zone,
            "subnet_id": self.subnet_id,
            "vpc_id": self.vpc_id,
            "instance_type": self.instance_type,
            "private_ip_address": self.private_ip,
            "security_groups": list(self.security_group_ids),
        }


@dataclass(frozen=True)
class ClusterSnapshot:
    """A KCE cluster. status is the cluster's own status word (as read); phase is the platform phase in the words above
    (phase_text as read). vpc_cni is None when the KCE 2.0 API did not list the cluster (its settings are unknown)."""

    cluster_id: str
    name: str = ""
    vpc_id: str = ""
    vpc_cidr: str = ""
    network_type: str = ""
    manage_mode: str = ""
    kubernetes_version: str = ""
    status: str = ""
    pod_cidr: str = ""
    service_cidr: str = ""
    node_count: Optional[int] = None
    vpc_cni: Optional[VpcCniSettings] = None
    phase: str = PHASE_OTHER
    phase_text: str = ""
    phase_message: str = ""
    nodes: Tuple[ClusterNode, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "nodes", tuple(self.nodes or ()))

    @property
    def label(self) -> str:
        """How messages name the cluster: its id and, when known, its name."""
        return "%s (%s)" % (self.cluster_id, self.name) if self.name else self.cluster_id

    @property
    def node_zones(self) -> FrozenSet[str]:
        return frozenset(node.zone for node in self.nodes if node.zone)

    def view(self) -> Dict[str, Any]:
        return {
            "id": self.cluster_id,
            "name": self.name,
            "vpc_id": self.vpc_id,
            "vpc_cidr": self.vpc_cidr,
            "network_type": self.network_type,
            "manage_mode": self.manage_mode,
            "kubernetes_version": self.kubernetes_version,
            "status": self.status,
            "pod_cidr": self.pod_cidr,
            "service_cidr": self.service_cidr,
            "node_count": self.node_count,
            "phase": self.phase_text or None,
            "vpc_cni": self.vpc_cni.view() if self.vpc_cni is not None else None,
            "nodes": [node.view() for node in self.nodes],
        }
