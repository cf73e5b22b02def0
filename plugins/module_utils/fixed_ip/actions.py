# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Actions: the steps of a plan, run in order by an executor; describe() is the check-mode/diff line.

An ``eni`` field holds an ENI id or Ref("new-eni") for the ENI the plan's CreateEni makes; run
resolve_refs(action, results) on each action first, where results maps CreateEni.ref to the created
ENI (an EniSnapshot, or anything with eni_id, primary_ip and mac).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Tuple, Union

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import VpcCniSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation, record_kind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_ENI, Ref, resolve

EniRef = Union[str, Ref]
EipRef = Union[str, Ref]


@dataclass(frozen=True)
class WriteReservation:
    """Create or update the PodEni/PodEniIP (optimistic concurrency): records intent before cloud calls."""

    reservation: Reservation

    def describe(self) -> str:
        r = self.reservation
        details = ["phase %s" % r.phase.value, "pod %s/%s" % (r.namespace, r.pod_name)]
        details += [
            "%s %s" % (what, value) for what, value in (("IP", r.ip), ("ENI", r.eni_id), ("node", r.node_name)) if value
        ]
        if r.released_at is not None:
            details.append("released %s" % r.released_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return "write %s: %s" % (r.label(), ", ".join(str(item) for item in details))


@dataclass(frozen=True)
class DeleteReservation:
    """Delete the PodEni/PodEniIP, or the VpcIP (vpc_ip) of a non-fixed shared-mode IP."""

    namespace: str
    name: str
    mode: Mode
    vpc_ip: bool = False

    @classmethod
    def of(cls, record: Reservation) -> "DeleteReservation":
        return cls(record.namespace, record.record_name(), record.mode, record.vpc_ip)

    @property
    def kind(self) -> str:
        return record_kind(self.mode, self.vpc_ip)

    def describe(self) -> str:
        return "delete %s %s/%s" % (self.kind, self.namespace, self.name)


@dataclass(frozen=True)
class CreateEni:
    """CreateNetworkInterface, detached; the executor stores the created ENI under ref for later Refs."""

    ref: str
    subnet_id: str
    name: str
    security_group_ids: Tuple[str, ...]
    primary_ip: Optional[str] = None

    def describe(self) -> str:
        ip = " with primary IP %s" % self.primary_ip if self.primary_ip else ""
        return "create ENI %s in subnet %s%s (security groups %s) as %s" % (
            self.name,
            self.subnet_id,
            ip,
            ", ".join(self.security_group_ids),
            Ref(self.ref),
        )


@dataclass(frozen=True)
class RenameEni:
    """ModifyNetworkInterface: the only attribute of an ENI the VPC API changes in place."""

    eni: EniRef
    name: str

    def describe(self) -> str:
        return "rename ENI %s to %s" % (self.eni, self.name)


@dataclass(frozen=True)
class SetEniSecurityGroups:
    """KEC ModifyNetworkInterfaceAttribute of an attached ENI: its security groups become exactly these."""

    eni: EniRef
    instance_id: str
    subnet_id: str
    security_group_ids: Tuple[str, ...]

    def describe(self) -> str:
        return "set the security groups of ENI %s to %s" % (self.eni, ", ".join(self.security_group_ids))


@dataclass(frozen=True)
class AllocateEip:
    """AllocateAddress; the executor stores the new EIP under ref for later Refs."""

    ref: str
    band_width: int
    line_id: Optional[str] = None
    charge_type: Optional[str] = None
    project_id: Optional[str] = None
    purchase_time: Optional[int] = None

    def describe(self) -> str:
        return "allocate an elastic IP of %d Mbps%s as %s" % (
            self.band_width,
            " (%s)" % self.charge_type if self.charge_type else "",
            Ref(self.ref, "allocation_id"),
        )


@dataclass(frozen=True)
class NameEip:
    """The name tag by which the collection finds an EIP again."""

    eip: EipRef
    name: str

    def describe(self) -> str:
        return "name elastic IP %s %s" % (self.eip, self.name)


@dataclass(frozen=True)
class ReleaseEip:
    eip: EipRef

    def describe(self) -> str:
        return "release elastic IP %s (its public IP goes back to the cloud)" % (self.eip,)


@dataclass(frozen=True)
class AssociateEip:
    """AssociateAddress (InstanceType Ipfwd) with private_ip of an ENI attached to instance_id."""

    eip: EipRef
    instance_id: str
    eni: EniRef
    private_ip: str

    def describe(self) -> str:
        return "associate elastic IP %s with %s of ENI %s (instance %s)" % (
            self.eip,
            self.private_ip,
            self.eni,
            self.instance_id,
        )


@dataclass(frozen=True)
class DisassociateEip:
    eip: EipRef
    was: str = ""

    def describe(self) -> str:
        return "disassociate elastic IP %s%s" % (self.eip, " from %s" % self.was if self.was else "")


@dataclass(frozen=True)
class AttachEni:
    eni: EniRef
    instance_id: str

    def describe(self) -> str:
        return "attach ENI %s to instance %s" % (self.eni, self.instance_id)


@dataclass(frozen=True)
class DetachEni:
    eni: EniRef
    instance_id: str

    def describe(self) -> str:
        return "detach ENI %s from instance %s (the ENI keeps its IP)" % (self.eni, self.instance_id)


@dataclass(frozen=True)
class DeleteEni:
    eni: EniRef

    def describe(self) -> str:
        return "delete ENI %s (its IPs go back to the subnet)" % (self.eni,)


@dataclass(frozen=True)
class AssignIp:
    """AssignPrivateIpAddress naming the IP (never a count: the IP was chosen and recorded first)."""

    eni: EniRef
    ip: str

    def describe(self) -> str:
        return "assign IP %s to ENI %s" % (self.ip, self.eni)


@dataclass(frozen=True)
class AssignRandomIps:
    """AssignPrivateIpAddress by count: the cloud picks free IPs that are not reserved."""

    eni: EniRef
    count: int

    def describe(self) -> str:
        return "assign %d IPs at random to ENI %s" % (self.count, self.eni)


@dataclass(frozen=True)
class UnassignIp:
    eni: EniRef
    ip: str

    def describe(self) -> str:
        return "unassign IP %s from ENI %s" % (self.ip, self.eni)


@dataclass(frozen=True)
class ReserveIp:
    """AllocateStatus=specific: random allocation can no longer take the IP."""

    subnet_id: str
    ip: str

    def describe(self) -> str:
        return "reserve IP %s in subnet %s (AllocateStatus=specific)" % (self.ip, self.subnet_id)


@dataclass(frozen=True)
class UnreserveIp:
    """AllocateStatus=random: the IP is ordinary again."""

    subnet_id: str
    ip: str

    def describe(self) -> str:
        return "unreserve IP %s in subnet %s (AllocateStatus=random)" % (self.ip, self.subnet_id)


@dataclass(frozen=True)
class SetPodNetwork:
    """The node agent writes the pod's network (status IP, ENI, MAC) once the IP is in place.

    uid guards the write: a pod re-created under the same name must not get the old pod's network.
    """

    namespace: str
    pod: str
    uid: str
    ip: Union[str, Ref]
    eni_id: EniRef
    mac: Union[str, Ref]

    def describe(self) -> str:
        return "set pod %s/%s network: IP %s on ENI %s (MAC %s)" % (
            self.namespace,
            self.pod,
            self.ip,
            self.eni_id,
            self.mac,
        )


@dataclass(frozen=True)
class ModifyClusterVpcCni:
    """KCE 2.0 ModifyCluster with VpcCNI: the cluster's VPC-CNI becomes settings (off: only Enable=false is sent).

    wait: the executor waits until the platform reports exactly these settings in its running phase.
    """

    cluster_id: str
    settings: VpcCniSettings
    wait: bool = True

    def describe(self) -> str:
        return "set VPC-CNI of cluster %s: %s" % (self.cluster_id, self.settings.describe())


Action = Union[
    WriteReservation,
    DeleteReservation,
    CreateEni,
    RenameEni,
    SetEniSecurityGroups,
    AttachEni,
    DetachEni,
    DeleteEni,
    AssignIp,
    AssignRandomIps,
    UnassignIp,
    ReserveIp,
    UnreserveIp,
    AllocateEip,
    NameEip,
    ReleaseEip,
    AssociateEip,
    DisassociateEip,
    SetPodNetwork,
    ModifyClusterVpcCni,
]
CLOUD_WRITES = (
    CreateEni,
    RenameEni,
    AttachEni,
    DetachEni,
    DeleteEni,
    AssignIp,
    AssignRandomIps,
    UnassignIp,
    ReserveIp,
    UnreserveIp,
    SetEniSecurityGroups,
    AllocateEip,
    NameEip,
    ReleaseEip,
    AssociateEip,
    DisassociateEip,
    ModifyClusterVpcCni,
)


def new_eni_refs() -> Tuple[Ref, Ref, Ref]:
    """Id, primary IP and MAC of the ENI a plan creates."""
    return Ref(NEW_ENI, "eni_id"), Ref(NEW_ENI, "primary_ip"), Ref(NEW_ENI, "mac")


def _resolved(value: Any, results: Mapping[str, Any]) -> Any:
    if isinstance(value, Reservation):
        changes = {
            item.name: resolve(getattr(value, item.name), results)
            for item in dataclasses.fields(value)
            if isinstance(getattr(value, item.name), Ref)
        }
        return dataclasses.replace(value, **changes) if changes else value
    return resolve(value, results)


def resolve_refs(action: Action, results: Mapping[str, Any]) -> Action:
    """The action with every Ref (also inside a WriteReservation) replaced from CreateEni results."""
    changes = {}
    for item in dataclasses.fields(action):
        value = getattr(action, item.name)
        new = _resolved(value, results)
        if new is not value:
            changes[item.name] = new
    return dataclasses.replace(action, **changes) if changes else action


def describe_plan(actions: Iterable[Action]) -> Tuple[str, ...]:
    return tuple(action.describe() for action in actions)
