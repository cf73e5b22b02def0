# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-provision a fixed IP before its pod exists (ksyun.kce.fixed_ip state=reserved): the allow-listing use case.

plan_reserve is pure (snapshots in, a Plan out) like the domain's bind and release planners;
flows/batch.py's run_reserved reads the snapshots once for a batch, holds the subnets' allocation
lock, and runs each plan with the flows' executor. The record is written (phase Reserved, empty pod uid) before the cloud is touched, so a
crashed run resumes from it; the bind flow then takes the reservation over when the pod appears.

Shared mode: the IP is marked reserved in its subnet (AllocateStatus=specific), so random allocation
never hands it out. Exclusive mode: a detached ENI named for the pod is created with the IP as its
primary IP (a detached ENI keeps its IP by itself).

A reservation may carry an elastic public IP (EIP): an existing one by its allocation id, or one allocated for it
and named eip_name(cluster, namespace, pod) so a crashed run finds it again. The record names it (eipId) once the IP is
reserved; it is associated with the IP as soon as a pod holds the IP (here when the record is Bound, else by the bind
flow).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass
from typing import AbstractSet, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AllocateEip,
    AssociateEip,
    CreateEni,
    NameEip,
    ReserveIp,
    WriteReservation,
    new_eni_refs,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    CrossSubnetRefused,
    InvalidSettings,
    PlacementError,
    ReservationConflict,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import eip_name, exclusive_eni_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_EIP, NEW_ENI, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import exclusive_eni, is_kept
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EipSnapshot,
    SubnetSnapshot,
)

ACTIVE_PHASES = (Phase.BINDING, Phase.BOUND, Phase.RELEASING)


@dataclass(frozen=True)
class EipSpec:
    """How a new EIP is allocated (AllocateAddress): bandwidth in Mbps, line, charge type, project, months."""

    band_width: int = 1
    line_id: Optional[str] = None
    charge_type: Optional[str] = None
    project_id: Optional[str] = None
    purchase_time: Optional[int] = None


@dataclass(frozen=True)
class ReserveRequest:
    """One pod to pre-provision; zone, ip and subnet_id are optional when the settings make them unambiguous."""

    namespace: str
    pod_name: str
    mode: Mode = Mode.SHARED
    zone: str = ""
    ip: str = ""
    subnet_id: str = ""
    retention: Optional[Retention] = None
    eip: bool = False
    eip_id: str = ""
    eip_spec: EipSpec = EipSpec()

    @property
    def wants_eip(self) -> bool:
        return self.eip or bool(self.eip_id)

    @property
    def ref(self) -> str:
        return "%s/%s" % (self.namespace, self.pod_name)


def _subnet_list(subnets: Sequence[SubnetSnapshot]) -> str:
    return ", ".join("%s (%s)" % (s.subnet_id, s.cidr) for s in subnets) or "none"


def resolve_zone(request: ReserveRequest, settings: Settings) -> str:
    """The request's zone: given, or the only zone whose pod subnets hold its subnet or IP, or the only zone configured."""
    zones = sorted(settings.pod_subnets)
    if request.zone:
        if request.zone not in settings.pod_subnets:
            raise PlacementError(
                "zone %r of pod %s has no pod subnet in the cluster configuration (zones: %s); use one of those zones, "
                "or add the zone's container subnets to podSubnets"
                % (request.zone, request.ref, ", ".join(zones) or "none")
            )
        return request.zone
    if request.subnet_id:
        owners = [zone for zone in zones if request.subnet_id in settings.subnets_in(zone)]
        if owners:
            return owners[0]
        raise PlacementError(
            "subnet %s of pod %s is not a pod subnet of any zone in the cluster configuration (%s); use a pod subnet"
            % (
                request.subnet_id,
                request.ref,
                ", ".join("%s: %s" % (z, ", ".join(settings.subnets_in(z))) for z in zones),
            )
        )
    if len(zones) == 1:
        return zones[0]
    if request.ip:
        return ""
    raise PlacementError(
        "pod %s needs a zone: pod subnets are configured in zones %s; give the zone the pod will run in"
        % (request.ref, ", ".join(zones) or "none")
    )


def _candidates(request: ReserveRequest, zone: str, cloud: CloudSnapshot, settings: Settings) -> List[SubnetSnapshot]:
    """The pod subnets the IP may come from, in order of preference."""
    if zone:
        ids = settings.subnets_in(zone)
    else:
        ids = tuple(s for z in sorted(settings.pod_subnets) for s in settings.subnets_in(z))
    if request.subnet_id:
        if request.subnet_id not in ids:
            raise CrossSubnetRefused(
                "subnet %s is not a pod subnet of zone %s (its pod subnets: %s); a fixed IP never crosses subnets or "
                "zones: choose one of those subnets" % (request.subnet_id, zone, ", ".join(ids) or "none")
            )
        ids = (request.subnet_id,)
    found = [cloud.subnet(subnet_id) for subnet_id in ids]
    missing = [subnet_id for subnet_id, subnet in zip(ids, found) if subnet is None]
    if missing:
        raise PlacementError(
            "pod subnet %s of the cluster configuration does not exist in the cloud; fix podSubnets"
            % ", ".join(missing)
        )
    return [subnet for subnet in found if subnet is not None]


def _unusable(ip: str, subnet: SubnetSnapshot) -> bool:
    network = ipaddress.ip_network(subnet.cidr, strict=False)
    address = ipaddress.ip_address(ip)
    return address in (network.network_address, network.broadcast_address) or ip == (
        subnet.gateway_ip or str(network.network_address + 1)
    )


def check_chosen_ip(
    request: ReserveRequest,
    zone: str,
    candidates: Sequence[SubnetSnapshot],
    cloud: CloudSnapshot,
    recorded: Mapping[str, Reservation],
) -> SubnetSnapshot:
    """The subnet of a chosen IP once it is in a pod subnet of the zone, free, and reserved by nobody; else why not."""
    ip = request.ip
    subnet = next((s for s in candidates if s.contains(ip)), None)
    if subnet is None:
        where = "zone %s" % zone if zone else "the cluster"
        raise CrossSubnetRefused(
            "IP %s for pod %s is outside the pod subnets of %s: %s; a fixed IP never crosses subnets, so choose an IP "
            "inside one of them" % (ip, request.ref, where, _subnet_list(candidates))
        )
    if _unusable(ip, subnet):
        raise PlacementError(
            "IP %s is the network, gateway or broadcast address of subnet %s (%s); choose another IP"
            % (ip, subnet.subnet_id, subnet.cidr)
        )
    owner = recorded.get(ip)
    if owner is not None and (owner.namespace, owner.pod_name) != (request.namespace, request.pod_name):
        raise ReservationConflict(
            "IP %s is already kept for pod %s/%s by %s; choose another IP, or release that reservation first"
            % (ip, owner.namespace, owner.pod_name, owner.label())
        )
    holder = cloud.holder_of(ip)
    if holder is not None:
        raise ReservationConflict(
            "IP %s is in use by ENI %s (%s, instance %s); choose a free IP (ksyun.kce.subnet_info lists them)"
            % (ip, holder.eni_id, holder.name or "unnamed", holder.instance_id or "detached")
        )
    if ip in subnet.reserved_ips:
        raise ReservationConflict(
            "IP %s is already reserved in subnet %s (AllocateStatus specific) but no PodEniIP records it, so "
            "something else keeps it; choose another IP, or adopt it with ksyun.kce.pod_eni_ip" % (ip, subnet.subnet_id)
        )
    if ip not in subnet.available_ips:
        raise PlacementError(
            "IP %s is not available in subnet %s (%s): the platform keeps it (DHCP, DNS); choose another IP"
            % (ip, subnet.subnet_id, subnet.cidr)
        )
    return subnet


def choose_free_ip(
    request: ReserveRequest, candidates: Sequence[SubnetSnapshot], cloud: CloudSnapshot, taken: AbstractSet[str]
) -> Tuple[SubnetSnapshot, str]:
    """The first free IP of the first candidate subnet that has one (in the cloud's order)."""
    for subnet in candidates:
        for ip in subnet.available_ips:
            if (
                ip not in subnet.reserved_ips
                and ip not in taken
                and not _unusable(ip, subnet)
                and cloud.holder_of(ip) is None
            ):
                return subnet, ip
    raise PlacementError(
        "no free IP left for pod %s in subnets %s; add a pod subnet or reclaim released IPs"
        % (request.ref, _subnet_list(candidates))
    )


def _check_existing(request: ReserveRequest, existing: Reservation, zone: str) -> None:
    if existing.mode is not request.mode:
        raise ReservationConflict(
            "pod %s already has a %s reservation (%s, IP %s); a pod keeps one reservation: delete it to switch to %s "
            "mode" % (request.ref, existing.mode.value, existing.label(), existing.ip or "?", request.mode.value)
        )
    if request.ip and existing.ip and existing.ip != request.ip:
        raise ReservationConflict(
            "pod %s already keeps IP %s (%s); it cannot also keep %s: release and delete that reservation first"
            % (request.ref, existing.ip, existing.label(), request.ip)
        )
    if request.subnet_id and existing.subnet_id and existing.subnet_id != request.subnet_id:
        raise CrossSubnetRefused(
            "pod %s keeps its IP in subnet %s (%s), not %s; a fixed IP never moves across subnets"
            % (request.ref, existing.subnet_id, existing.label(), request.subnet_id)
        )
    if zone and existing.zone and existing.zone != zone:
        raise CrossSubnetRefused(
            "pod %s keeps its IP in zone %s (%s), not %s; a fixed IP never moves across zones"
            % (request.ref, existing.zone, existing.label(), zone)
        )


def _ensure_existing(request: ReserveRequest, existing: Reservation, cloud: CloudSnapshot, settings: Settings) -> Plan:
    """A pod that has a record: keep it as it is, fixing only a missing cloud reservation and the retention."""
    actions: list = []
    record = existing
    if request.retention is not None and request.retention != existing.retention:
        record = dataclasses.replace(existing, retention=request.retention)
        actions.append(WriteReservation(record))
    if existing.phase is Phase.RECLAIMING:
        return Plan(
            reservation=existing,
            reason="%s is being reclaimed; run again after reclaim has deleted it" % existing.label(),
        )
    if existing.phase in ACTIVE_PHASES:
        return Plan(
            tuple(actions),
            record,
            reason="%s is %s by pod uid %s; its IP is kept already"
            % (existing.label(), existing.phase.value, existing.pod_uid or "?"),
        )
    if existing.mode is Mode.SHARED:
        holder = cloud.holder_of(existing.ip)
        if holder is not None:
            raise ReservationConflict(
                "IP %s of %s (phase Reserved) is assigned to ENI %s on instance %s, which the record does not name; "
                "another allocator took it: free it there, then run again"
                % (existing.ip, existing.label(), holder.eni_id, holder.instance_id or "(detached)")
            )
        if not is_kept(existing, cloud, None):
            actions.append(ReserveIp(existing.subnet_id, existing.ip))
        return Plan(tuple(actions), record)
    eni = exclusive_eni(existing, cloud, settings.cluster_name)
    if eni is None and existing.eni_id:
        raise ReservationConflict(
            "ENI %s of %s is gone from the cloud, so IP %s is lost; delete the record and reserve again"
            % (existing.eni_id, existing.label(), existing.ip or "?")
        )
    if eni is None:
        actions.extend(_create_exclusive_eni(record, settings))
        return Plan(tuple(actions), _with_new_eni(record))
    located = dataclasses.replace(
        record, eni_id=eni.eni_id, ip=eni.primary_ip, mac=eni.mac, subnet_id=eni.subnet_id, zone=eni.zone
    )
    if located != record:
        actions = [WriteReservation(located)]
    return Plan(tuple(actions), located)


def _create_exclusive_eni(record: Reservation, settings: Settings) -> list:
    if not settings.security_group_ids:
        raise InvalidSettings(
            "securityGroupIds of the cluster configuration is empty, and the ENI of pod %s/%s needs a security group; "
            "set securityGroupIds" % (record.namespace, record.pod_name)
        )
    name = exclusive_eni_name(settings.cluster_name, record.namespace, record.pod_name)
    return [
        CreateEni(NEW_ENI, record.subnet_id, name, settings.security_group_ids, primary_ip=record.ip or None),
        WriteReservation(_with_new_eni(record)),
    ]


def _with_new_eni(record: Reservation) -> Reservation:
    eni_id, ip, mac = new_eni_refs()
    return dataclasses.replace(record, eni_id=eni_id, ip=record.ip or ip, mac=mac)


def plan_reserve(
    request: ReserveRequest,
    existing: Optional[Reservation],
    cloud: CloudSnapshot,
    settings: Settings,
    recorded: Mapping[str, Reservation],
    taken: AbstractSet[str] = frozenset(),
    eip_owners: Optional[Mapping[str, str]] = None,
) -> Plan:
    """Plan pre-provisioning request's IP (and its EIP); raises a FixedIpError naming the problem when it must not or cannot.

    existing: the pod's record, if any. recorded: every PodEniIP's reservation by IP. taken: IPs other
    requests of the same batch chose, so no two pods get one IP. eip_owners: the label of the record that keeps each
    EIP (by allocation id); cloud.addresses must hold every EIP when the request wants one.
    """
    plan = _plan_ip(request, existing, cloud, settings, recorded, taken)
    if not request.wants_eip or plan.reservation is None or plan.reservation.phase is Phase.RECLAIMING:
        return plan
    return _with_eip(request, plan, cloud, settings.cluster_name, eip_owners or {})


def _eip_of_record(request: ReserveRequest, record: Reservation, cloud: CloudSnapshot) -> EipSnapshot:
    if request.eip_id and request.eip_id != record.eip_id:
        raise ReservationConflict(
            "pod %s keeps elastic IP %s with %s; it cannot also take %s: change the record's EIP with eip_id of "
            "ksyun.kce.pod_eni_ip or ksyun.kce.pod_eni, or leave eip_id out"
            % (request.ref, record.eip_id, record.label(), request.eip_id)
        )
    eip = cloud.address(record.eip_id)
    if eip is None:
        raise ReservationConflict(
            'elastic IP %s of %s (IP %s) no longer exists; take it off the record with eip_id "" of '
            "ksyun.kce.pod_eni_ip or ksyun.kce.pod_eni, then run again for a new one"
            % (record.eip_id, record.label(), record.ip or "?")
        )
    return eip


def _check_eip_free(
    request: ReserveRequest, eip: EipSnapshot, record: Reservation, cloud: CloudSnapshot, owners
) -> None:
    owner = owners.get(eip.allocation_id)
    if owner and owner != record.label():
        raise ReservationConflict(
            "elastic IP %s (%s) goes with %s already; an EIP goes with one fixed IP: give pod %s another one"
            % (eip.allocation_id, eip.public_ip, owner, request.ref)
        )
    holder = cloud.holder_of(record.ip) if isinstance(record.ip, str) and record.ip else None
    if eip.associated and not (holder is not None and eip.bound_to(holder.eni_id, record.ip)):
        raise ReservationConflict(
            "elastic IP %s (%s) is associated with %s; disassociate it first (ksyun.kce.eip_association "
            "state=absent) or give pod %s a free one" % (eip.allocation_id, eip.public_ip, eip.target(), request.ref)
        )


def _with_eip(request: ReserveRequest, plan: Plan, cloud: CloudSnapshot, cluster: str, owners) -> Plan:
    """plan, then the EIP the request wants: named on the record, and associated when a pod holds the IP."""
    record = plan.reservation
    if record is None:
        return plan
    if record.eip_id:
        return _associated(plan, _eip_of_record(request, record, cloud), record.eip_id, cloud)
    actions: Tuple = ()
    eip: Optional[EipSnapshot]
    if request.eip_id:
        eip = cloud.address(request.eip_id)
        if eip is None:
            raise PlacementError(
                "eip_id %s of pod %s: no elastic IP has that allocation id; ksyun.kce.eip_info lists them, "
                "ksyun.kce.eip allocates one" % (request.eip_id, request.ref)
            )
    else:
        name = eip_name(cluster, request.namespace, request.pod_name)
        named = [address for address in cloud.addresses if address.name == name]
        if len(named) > 1:
            raise ReservationConflict(
                "%d elastic IPs are named %s (%s); release the extra ones with ksyun.kce.eip state=absent"
                % (len(named), name, ", ".join(address.allocation_id for address in named))
            )
        eip = named[0] if named else None
        if eip is None:
            spec = request.eip_spec
            actions = (
                AllocateEip(
                    NEW_EIP, spec.band_width, spec.line_id, spec.charge_type, spec.project_id, spec.purchase_time
                ),
                NameEip(Ref(NEW_EIP, "allocation_id"), name),
            )
    if eip is not None:
        _check_eip_free(request, eip, record, cloud, owners)
    eip_id = eip.allocation_id if eip is not None else Ref(NEW_EIP, "allocation_id")
    named_record = dataclasses.replace(record, eip_id=eip_id)
    plan = dataclasses.replace(
        plan, actions=plan.actions + actions + (WriteReservation(named_record),), reservation=named_record
    )
    return _associated(plan, eip, eip_id, cloud)


def _associated(plan: Plan, eip: Optional[EipSnapshot], eip_id, cloud: CloudSnapshot) -> Plan:
    """The EIP associated with the record's IP when a pod holds it (Bound); else the bind flow associates it."""
    record = plan.reservation
    if record is None:
        return plan
    holder = cloud.holder_of(record.ip) if isinstance(record.ip, str) and record.ip else None
    if record.phase is not Phase.BOUND or holder is None or not holder.instance_id:
        return plan
    if eip is not None and eip.associated:
        if eip.bound_to(holder.eni_id, record.ip):
            return plan
        return dataclasses.replace(
            plan,
            warnings=plan.warnings
            + (
                "elastic IP %s (%s) of %s is associated with %s, not with IP %s; ksyun.kce.fixed_ip state=bound "
                "moves it there" % (eip.allocation_id, eip.public_ip, record.label(), eip.target(), record.ip),
            ),
        )
    return dataclasses.replace(
        plan, actions=plan.actions + (AssociateEip(eip_id, holder.instance_id, holder.eni_id, record.ip),)
    )


def _plan_ip(
    request: ReserveRequest,
    existing: Optional[Reservation],
    cloud: CloudSnapshot,
    settings: Settings,
    recorded: Mapping[str, Reservation],
    taken: AbstractSet[str],
) -> Plan:
    zone = resolve_zone(request, settings)
    if existing is not None:
        _check_existing(request, existing, zone)
        return _ensure_existing(request, existing, cloud, settings)
    candidates = _candidates(request, zone, cloud, settings)
    if request.ip:
        subnet, ip = check_chosen_ip(request, zone, candidates, cloud, recorded), request.ip
        if ip in taken:
            raise ReservationConflict(
                "IP %s is asked for twice in this task (pod %s is one of them); give every pod its own IP"
                % (ip, request.ref)
            )
    else:
        subnet, ip = choose_free_ip(request, candidates, cloud, frozenset(taken) | frozenset(recorded))
    record = Reservation(
        namespace=request.namespace,
        pod_name=request.pod_name,
        mode=request.mode,
        fixed=True,
        ip=ip,
        subnet_id=subnet.subnet_id,
        zone=subnet.zone,
        retention=request.retention or settings.default_retention,
        phase=Phase.RESERVED,
    )
    if request.mode is Mode.SHARED:
        return Plan((WriteReservation(record), ReserveIp(subnet.subnet_id, ip)), record)
    adopted = exclusive_eni(record, cloud, settings.cluster_name, zone=subnet.zone)
    if adopted is not None:
        return _ensure_existing(request, record, cloud, settings)
    return Plan((WriteReservation(record),) + tuple(_create_exclusive_eni(record, settings)), _with_new_eni(record))
