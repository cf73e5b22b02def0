# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bind: give a pod its IP on its node (the product page's "When a pod is created", steps 3-5).

Level-triggered: the plan is computed from what the record and the cloud show now, so planning
again after a crash at any step finishes the same bind (an ENI created but not yet recorded is
found by its name and adopted, never created twice).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import AbstractSet, Any, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AssignIp,
    AssociateEip,
    AttachEni,
    CreateEni,
    DeleteEni,
    DetachEni,
    DisassociateEip,
    SetPodNetwork,
    UnassignIp,
    UnreserveIp,
    new_eni_refs,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    FixedIpError,
    InvalidSettings,
    PlacementError,
    ReservationConflict,
    ReservationHeld,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, VPC_IP, Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import exclusive_eni_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import (
    Retry,
    check_zone,
    choose_ip,
    is_cluster_shared_eni,
    shared_eni,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan, Steps
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import PodRequest, pod_request
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import check_room_for_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_ENI, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import (
    exclusive_conflict,
    exclusive_eni,
    free_steps,
    held_where_recorded,
    keep_steps,
    may_be_kept,
    releasing,
    shared_conflict,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    NodeSnapshot,
    PodSnapshot,
)


class LivePodCheckMissing(FixedIpError):
    """Taking resources from another pod's record needs the caller's live-pod check (live_pod_uids)."""


class _Context:
    """The inputs one bind works from (kept together so helpers take one argument)."""

    def __init__(
        self,
        pod: PodSnapshot,
        node: NodeSnapshot,
        fixed: bool,
        cloud: CloudSnapshot,
        settings: Settings,
        now: datetime,
        live_pod_uids: Optional[AbstractSet[str]],
        recorded_ips: AbstractSet[str],
        vpc_ips: bool,
    ) -> None:
        self.pod: PodSnapshot = pod
        self.node: NodeSnapshot = node
        self.fixed: bool = fixed
        self.cloud: CloudSnapshot = cloud
        self.settings: Settings = settings
        self.now: datetime = now
        self.live = None if live_pod_uids is None else frozenset(live_pod_uids)
        self.recorded_ips = frozenset(recorded_ips)
        self.vpc_ips = vpc_ips

    def new_kind(self, mode: Mode) -> str:
        """The kind of a new record: a VpcIP for a non-fixed shared IP (a PodEniIP where the cluster lacks the kind)."""
        return VPC_IP if mode is Mode.SHARED and not self.fixed and self.vpc_ips else KIND[mode]

    def fresh(self, mode: Mode, **fields: Any) -> Reservation:
        vpc_ip = self.new_kind(mode) == VPC_IP
        return Reservation(
            namespace=self.pod.namespace,
            pod_name=self.pod.name,
            mode=mode,
            retention=Retention.never() if vpc_ip else self.settings.default_retention,
            vpc_ip=vpc_ip,
            **dict(self.owner(vpc_ip), **fields),
        )

    def owner(self, vpc_ip: bool = False) -> dict:
        """The record's fields that name this pod on this node (a VpcIP names no StatefulSet: it is never kept)."""
        return {
            "pod_uid": self.pod.uid,
            "fixed": self.fixed,
            "node_name": self.node.name,
            "instance_id": self.node.instance_id,
            "phase": Phase.BINDING,
            "statefulset": self.pod.owner_name if self.pod.owner_kind == "StatefulSet" and not vpc_ip else "",
        }

    def is_claimed(self, record: Reservation) -> bool:
        """The record already names this pod on this node as binding or bound, with the requested fixed flag."""
        return (
            record.phase in (Phase.BINDING, Phase.BOUND)
            and record.pod_uid == self.pod.uid
            and record.fixed == self.fixed
            and record.node_name == self.node.name
            and record.instance_id == self.node.instance_id
            and record.statefulset == self.owner(record.vpc_ip)["statefulset"]
        )

    def claimed(self, record: Reservation, **fields: Any) -> Reservation:
        base = record if self.is_claimed(record) else dataclasses.replace(record, **self.owner(record.vpc_ip))
        return dataclasses.replace(base, **fields)

    def require_live_check(self, record: Reservation) -> None:
        if record.pod_uid and record.pod_uid != self.pod.uid and self.live is None:
            raise LivePodCheckMissing(
                "%s is still held by pod uid %s in the cloud; pass live_pod_uids so bind can check that pod is "
                "gone before pod %s takes the IP over" % (record.label(), record.pod_uid, self.pod.ref)
            )


def _bound(record: Reservation, **fields) -> Reservation:
    return dataclasses.replace(record, phase=Phase.BOUND, released_at=None, **fields)


def _follow_eip(ctx: _Context, steps: Steps, eni: Any, ip: Any) -> None:
    """The record's EIP goes where its IP is now: associated with ip of eni (moved there when it is elsewhere).

    Whether the cloud keeps an association when its IP leaves the ENI is unknown (docs/sandbox.md), so this never
    relies on it: the EIP is compared with where the IP is, and associated again when it is not there.
    """
    eip_id = steps.record.eip_id
    if not eip_id:
        return
    eip = ctx.cloud.address(eip_id)
    if eip is None:
        steps.warnings.append(
            "elastic IP %s of %s does not exist (released?); the pod's IP %s has no public IP now, allocate one and set "
            "eipId on the record" % (eip_id, steps.record.label(), ip)
        )
        return
    if not isinstance(eni, Ref) and not isinstance(ip, Ref) and eip.bound_to(eni, ip):
        return
    if eip.associated and not eip.eni_id and eip.private_ip == ip:
        # Associated with the IP while no ENI holds it: this cloud keeps associations with their IP, so it is there
        # as soon as the IP is (an AssociateAddress now would be refused as in use).
        return
    if eip.associated:
        steps.add(DisassociateEip(eip_id, eip.target()))
    steps.add(AssociateEip(eip_id, ctx.node.instance_id, eni, ip))


def _set_network(ctx: _Context, steps: Steps) -> None:
    record = steps.record
    if isinstance(record.ip, Ref) or ctx.pod.pod_ip != record.ip:
        steps.add(SetPodNetwork(ctx.pod.namespace, ctx.pod.name, ctx.pod.uid, record.ip, record.eni_id, record.mac))


def _check_record(ctx: _Context, mode: Mode, record: Reservation) -> None:
    pod = ctx.pod
    if (record.namespace, record.pod_name) != (pod.namespace, pod.name):
        raise ReservationConflict(
            "%s belongs to pod %s/%s, not to pod %s; look the record up by the pod's labels"
            % (record.label(), record.namespace, record.pod_name, pod.ref)
        )
    if record.mode is not mode:
        raise ReservationConflict(
            "pod %s asks for %s ENI mode, but its %s holds a %s reservation (IP %s); delete that record to switch "
            "modes (the pod then gets a new IP)" % (pod.ref, mode.value, record.label(), record.mode.value, record.ip)
        )
    if ctx.live is not None and record.pod_uid and record.pod_uid != pod.uid and record.pod_uid in ctx.live:
        raise ReservationHeld(
            "%s (IP %s) is held by live pod uid %s, so pod %s (uid %s) cannot take it; wait until that pod is gone"
            % (record.label(), record.ip or "?", record.pod_uid, pod.ref, pod.uid)
        )


def _holds_resources(record: Reservation, cloud: CloudSnapshot, cluster: str) -> bool:
    if record.mode is Mode.EXCLUSIVE:
        eni = exclusive_eni(record, cloud, cluster)
        return eni is not None
    return cloud.holder_of(record.ip) is not None


def _cannot_take_over(record: Reservation, node: NodeSnapshot, cloud: CloudSnapshot) -> bool:
    """A stale non-fixed record in another zone, or whose shared IP someone else holds now."""
    if record.zone and record.zone != node.zone:
        return True
    if record.mode is Mode.SHARED:
        holder = cloud.holder_of(record.ip)
        return cloud.subnet(record.subnet_id) is None or (
            holder is not None and not held_where_recorded(record, holder)
        )
    return False


def _adoptable_exclusive(ctx: _Context, record: Optional[Reservation]) -> Optional[EniSnapshot]:
    """The pod's ENI: by the recorded id, else by its deterministic name (a crash after CreateEni)."""
    if record is not None and record.eni_id:
        return ctx.cloud.eni(record.eni_id)
    probe = record or ctx.fresh(Mode.EXCLUSIVE)
    eni = exclusive_eni(probe, ctx.cloud, ctx.settings.cluster_name, zone=ctx.node.zone)
    if eni is not None and eni.instance_id not in (None, ctx.node.instance_id) and eni.instance_id != probe.instance_id:
        raise exclusive_conflict(probe, eni)
    return eni


def _bind_exclusive(ctx: _Context, record: Optional[Reservation], steps: Steps) -> None:
    node, cloud, settings = ctx.node, ctx.cloud, ctx.settings
    eni = _adoptable_exclusive(ctx, record)
    if record is not None and record.eni_id and eni is None:
        if record.fixed:
            raise ReservationConflict(
                "ENI %s of %s is gone from the cloud, so fixed IP %s is lost; delete the PodEni to let pod %s get a "
                "new IP" % (record.eni_id, record.label(), record.ip or "?", ctx.pod.ref)
            )
        record = dataclasses.replace(record, eni_id="", ip="", mac="")
    if record is not None:
        check_zone(record, eni.zone if eni else record.zone, eni.subnet_id if eni else record.subnet_id, node)
    if eni is not None and eni.is_transient:
        raise Retry("ENI %s is %s" % (eni.eni_id, eni.state))
    attached_here = eni is not None and eni.instance_id == node.instance_id
    if eni is not None and eni.instance_id and not attached_here:
        if eni.instance_id != record.instance_id or (
            record.pod_uid == ctx.pod.uid and record.phase is not Phase.RELEASING
        ):
            raise exclusive_conflict(record, eni)
        ctx.require_live_check(record)
        if record.phase is not Phase.RELEASING:
            steps.write(releasing(record, ctx.now))
        steps.add(DetachEni(eni.eni_id, eni.instance_id))
        record = steps.record
    if not attached_here:
        check_room_for_eni(node, cloud, settings.cloud, "the exclusive ENI of pod %s" % ctx.pod.ref, eni)
    if eni is not None:
        located = {
            "eni_id": eni.eni_id,
            "ip": eni.primary_ip,
            "mac": eni.mac,
            "subnet_id": eni.subnet_id,
            "zone": eni.zone,
        }
        steps.write(ctx.claimed(record, **located) if record is not None else ctx.fresh(Mode.EXCLUSIVE, **located))
    else:
        if record is None or not record.subnet_id:
            subnet = choose_ip(node, cloud, settings, ctx.recorded_ips)[0]
            record = (
                ctx.claimed(record, subnet_id=subnet.subnet_id, zone=subnet.zone)
                if record
                else ctx.fresh(Mode.EXCLUSIVE, subnet_id=subnet.subnet_id, zone=subnet.zone)
            )
        if not settings.security_group_ids:
            raise InvalidSettings(
                "security_group_ids is empty, and creating the ENI of pod %s needs at least one security group; set "
                "the pod security groups in the cluster settings" % ctx.pod.ref
            )
        steps.write(ctx.claimed(record))
        steps.add(
            CreateEni(
                NEW_ENI,
                record.subnet_id,
                exclusive_eni_name(settings.cluster_name, ctx.pod.namespace, ctx.pod.name),
                settings.security_group_ids,
            )
        )
        eni_id, ip, mac = new_eni_refs()
        steps.write(dataclasses.replace(steps.record, eni_id=eni_id, ip=ip, mac=mac))
    if not attached_here:
        steps.add(AttachEni(steps.record.eni_id, node.instance_id))
    _follow_eip(ctx, steps, steps.record.eni_id, steps.record.ip)
    steps.write(_bound(steps.record))
    _set_network(ctx, steps)


def _bind_shared(ctx: _Context, record: Optional[Reservation], steps: Steps) -> None:
    node, cloud, settings = ctx.node, ctx.cloud, ctx.settings
    holder, is_reserved = None, False
    if record is None:
        subnet, ip = choose_ip(node, cloud, settings, ctx.recorded_ips)
        steps.write(ctx.fresh(Mode.SHARED, ip=ip, subnet_id=subnet.subnet_id, zone=subnet.zone))
    else:
        subnet = cloud.subnet(record.subnet_id)
        if subnet is None:
            raise PlacementError(
                "subnet %r of %s is not among the pod subnets read from the cloud; add it to pod_subnets, or delete the "
                "record if the subnet is gone" % (record.subnet_id, record.label())
            )
        if not subnet.contains(record.ip):
            raise ReservationConflict(
                "IP %r of %s is not in its subnet %s (%s); fix or delete the record, nothing was created"
                % (record.ip, record.label(), subnet.subnet_id, subnet.cidr)
            )
        check_zone(record, subnet.zone, subnet.subnet_id, node)
        holder, is_reserved = cloud.holder_of(record.ip), may_be_kept(record, cloud)
        if holder is not None:
            if not held_where_recorded(record, holder) or not is_cluster_shared_eni(holder, settings.cluster_name):
                raise shared_conflict(record, holder)
            if holder.instance_id != node.instance_id:
                if record.pod_uid == ctx.pod.uid and record.phase is not Phase.RELEASING:
                    raise shared_conflict(record, holder)
                ctx.require_live_check(record)
                if record.vpc_ip:
                    # Never reserved: unassigned while the record still names the old ENI (a rerun then assigns it
                    # here), under the subnet lock, and recorded, so no bind of this collection picks it meanwhile.
                    steps.add(UnassignIp(holder.eni_id, record.ip))
                    holder = None
                else:
                    keep_steps(record, cloud, settings, ctx.now, steps)
                    holder, is_reserved = None, True
            else:
                ctx.require_live_check(record)
        current = steps.record
        # A shared IP is placed on this node's ENI afresh, so the previous holder's ENI is forgotten.
        steps.write(current if ctx.is_claimed(current) else ctx.claimed(current, eni_id="", mac=""))
    ip = steps.record.ip
    if holder is None:
        actions, eni, mac = shared_eni(node, subnet, cloud, settings, ip, ctx.recorded_ips)
        steps.add(*actions)
        if is_reserved and not settings.cloud.assign_specific_ip:
            # The product page's order: the IP is open to random allocation until AssignIp (hold the subnet lock).
            steps.add(UnreserveIp(subnet.subnet_id, ip), AssignIp(eni, ip))
        else:
            steps.add(AssignIp(eni, ip), *([UnreserveIp(subnet.subnet_id, ip)] if is_reserved else []))
    else:
        eni, mac = holder.eni_id, holder.mac
        if is_reserved:
            steps.add(UnreserveIp(subnet.subnet_id, ip))
    _follow_eip(ctx, steps, eni, ip)
    steps.write(_bound(steps.record, eni_id=eni, mac=mac))
    _set_network(ctx, steps)


def plan_bind(
    pod: PodSnapshot,
    node: NodeSnapshot,
    existing: Optional[Reservation],
    cloud: CloudSnapshot,
    settings: Settings,
    now: datetime,
    live_pod_uids: Optional[AbstractSet[str]] = None,
    recorded_ips: AbstractSet[str] = frozenset(),
    vpc_ips: bool = True,
) -> Plan:
    """Plan giving pod its IP on node; raises a FixedIpError (nothing planned) when it must not or cannot.

    existing: the pod's PodEni (exclusive) or PodEniIP or VpcIP (shared, found by the pod's labels), or None.
    live_pod_uids: uids of the pods the API server shows now; needed only when the record's previous
    pod still holds the ENI/IP in the cloud (None then raises LivePodCheckMissing, never steals).
    recorded_ips: the IPs of every PodEniIP and VpcIP in the cluster; a new IP is never one of them, even while
    a release has it between UnassignIp and ReserveIp.
    vpc_ips: whether the cluster serves the VpcIP kind. A shared-mode pod without a fixed IP gets a new VpcIP; where
    the kind is not served (an install older than it), a PodEniIP with fixed false, as before.

    A record keeps its kind (a VpcIP never becomes a reservation): when the earlier pod of this name left a non-fixed
    record of another kind than this pod's new one would be (a VpcIP, and this pod asks for a fixed IP; a PodEniIP
    with fixed false, and this pod does not), that record is freed and the pod bound afresh. A running pod bound with
    a VpcIP that asks for a fixed IP later keeps its IP, not fixed, with a warning.
    """
    request = pod_request(pod)
    if request.fixed and not settings.fixed_ip and not (existing is not None and existing.fixed):
        request = PodRequest(
            mode=request.mode,
            fixed=False,
            warnings=request.warnings
            + (
                "fixed Pod IP is off in this cluster; pod %s got an IP that is freed when the pod is deleted "
                "(turn fixed IP on in the VPC-CNI configuration to keep it)" % pod.ref,
            ),
        )
    if request.fixed and existing is not None and existing.vpc_ip and existing.pod_uid == pod.uid:
        request = PodRequest(
            mode=request.mode,
            fixed=False,
            warnings=request.warnings
            + (
                "pod %s got the non-fixed IP %s (%s) before it asked for a fixed IP; it keeps it while it runs and it "
                "is freed when the pod is deleted: re-create the pod to get a fixed IP"
                % (pod.ref, existing.ip, existing.label()),
            ),
        )
    if request.mode is None:
        return Plan(
            reservation=existing,
            warnings=request.warnings,
            reason="pod %s asks for no VPC-CNI mode (no pod-eniip/pod-eni annotation); nothing to bind" % pod.ref,
        )
    if pod.deleting:
        return Plan(
            reservation=existing,
            warnings=request.warnings,
            reason="pod %s is being deleted; plan its release instead" % pod.ref,
        )
    if not node.instance_id or not node.zone:
        raise InvalidSettings(
            "node %s has instance id %r and zone %r; both are needed to bind pod %s"
            % (node.name, node.instance_id, node.zone, pod.ref)
        )
    ctx = _Context(pod, node, request.fixed, cloud, settings, now, live_pod_uids, recorded_ips, vpc_ips)
    steps = Steps(existing)
    record = existing
    try:
        if record is not None:
            _check_record(ctx, request.mode, record)
            if record.phase is Phase.RECLAIMING:
                return Plan(
                    reservation=record,
                    warnings=request.warnings,
                    retry=True,
                    reason="%s is being reclaimed; plan again once reclaim has deleted it (the pod then gets a new IP)"
                    % record.label(),
                )
            if record.deleting:
                # Deleted by kubectl or with its namespace: its IP is freed once no pod holds it, never taken over.
                mine = record.pod_uid == pod.uid
                return Plan(
                    reservation=record,
                    warnings=request.warnings,
                    retry=not mine,
                    reason="%s is being deleted; %s"
                    % (
                        record.label(),
                        (
                            "its IP is freed when pod %s is gone" % pod.ref
                            if mine
                            else "plan again once release or reclaim has freed it (the pod then gets a new IP)"
                        ),
                    ),
                )
            if (
                not record.fixed
                and record.pod_uid
                and record.pod_uid != pod.uid
                and (_cannot_take_over(record, node, cloud) or record.kind != ctx.new_kind(request.mode))
            ):
                # A non-fixed IP may change: free what the earlier pod of this name left elsewhere (or in a record of
                # another kind than this pod's), then bind afresh.
                if _holds_resources(record, cloud, settings.cluster_name):
                    ctx.require_live_check(record)
                free_steps(record, cloud, settings, steps)
                gone = {action.eni for action in steps.actions if isinstance(action, DeleteEni)}
                ctx.cloud = dataclasses.replace(cloud, enis=tuple(eni for eni in cloud.enis if eni.eni_id not in gone))
                record = None
        if request.mode is Mode.EXCLUSIVE:
            _bind_exclusive(ctx, record, steps)
        else:
            _bind_shared(ctx, record, steps)
    except Retry as err:
        return Plan(
            reservation=existing, warnings=request.warnings, retry=True, reason="%s; plan the bind again shortly" % err
        )
    return steps.plan(request.warnings)
