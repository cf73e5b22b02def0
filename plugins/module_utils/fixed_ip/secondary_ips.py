# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secondary IPs of one ENI and the reservation of subnet IPs, as desired state (ksyun.kce.eni_private_ip).

plan_secondary_ips is pure like the flows' planners: an ENI and its subnet as read, what is asked,
and the cloud's behaviour in; a Plan of the domain's actions out. A fixed IP is kept safe in the
same orders the release and bind flows use (DESIGN.md, "Rules that keep IPs safe"): an IP released
into a reservation is reserved before it is unassigned where the cloud allows that, else unassigned
and reserved right after; a reserved IP moved onto an ENI is assigned before it is unreserved where
the cloud allows that, else unreserved and assigned right after. The executor's compensation closes
the window if the second call of a pair fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    Action,
    AssignIp,
    AssignRandomIps,
    ReserveIp,
    UnassignIp,
    UnreserveIp,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    SubnetSnapshot,
)


@dataclass(frozen=True)
class SecondaryIpRequest:
    """What is asked: named ips or a count, purge, reserved (None: leave reservations alone), present or absent."""

    ips: Tuple[str, ...] = ()
    count: Optional[int] = None
    purge: bool = False
    reserved: Optional[bool] = None
    present: bool = True


class _Subnet:
    """Which IPs of the subnet are held, and which free ones are reserved (None: the cloud cannot tell)."""

    def __init__(self, subnet: SubnetSnapshot, cloud: CloudSnapshot) -> None:
        self.subnet, self.cloud = subnet, cloud

    def holder(self, ip: str) -> Optional[EniSnapshot]:
        return self.cloud.holder_of(ip)

    def reserved_free(self, ip: str) -> Optional[bool]:
        if not self.subnet.reservations_known:
            return None
        return self.holder(ip) is None and ip in self.subnet.reserved_ips


def _refuse_primary(eni: EniSnapshot, ips: Sequence[str], what: str) -> None:
    for ip in ips:
        if ip == eni.primary_ip:
            raise RequestRefused(
                "private_ip_addresses: %s is the primary IP of network interface %s; %s" % (ip, eni.eni_id, what)
            )


def _free_reservation(subnet: _Subnet, ip: str, reserved: bool, warnings: List[str]) -> List[Action]:
    """Reserve or release a named IP no ENI of ours is asked about; IPs held by an ENI are left alone."""
    holder = subnet.holder(ip)
    if holder is not None:
        warnings.append(
            "%s is held by network interface %s, so its reservation was left as it is" % (ip, holder.eni_id)
        )
        return []
    state = subnet.reserved_free(ip)
    if reserved and state is not True:
        return [ReserveIp(subnet.subnet.subnet_id, ip)]
    if not reserved and state is not False:
        return [UnreserveIp(subnet.subnet.subnet_id, ip)]
    return []


def _need_assign_specific(behaviour: CloudBehaviour, ips: Sequence[str]) -> None:
    if ips and not behaviour.assign_specific_ip:
        raise RequestRefused(
            "reserved=true: the cloud cannot assign a reserved IP (cloud_behaviour.assign_specific_ip is false), so %s "
            "cannot be assigned and stay reserved; use reserved=false, and reserve the IPs as they are unassigned "
            "(state=absent reserved=true)" % ", ".join(ips)
        )


def _present(eni: EniSnapshot, subnet: _Subnet, request: SecondaryIpRequest, behaviour: CloudBehaviour) -> List[Action]:
    current = eni.secondary_ips
    _refuse_primary(eni, request.ips, "list only secondary IPs")
    plain: List[str] = []
    moves: List[str] = []
    keep_reserved: List[str] = []
    reserve_first: List[str] = []
    for ip in request.ips:
        if ip in current:
            continue
        holder = subnet.holder(ip)
        if holder is not None:
            raise RequestRefused(
                "private_ip_addresses: %s is already assigned to network interface %s; unassign it there first "
                "(ksyun.kce.eni_private_ip network_interface_id=%s state=absent)" % (ip, holder.eni_id, holder.eni_id)
            )
        state = subnet.reserved_free(ip)
        if request.reserved is None and state and not behaviour.assign_specific_ip:
            raise RequestRefused(
                "private_ip_addresses: %s is reserved in subnet %s and the cloud cannot assign a reserved IP "
                "(cloud_behaviour.assign_specific_ip is false); set reserved=false to move it onto the ENI, or "
                "reserved=true to keep it reserved" % (ip, subnet.subnet.subnet_id)
            )
        if request.reserved is None:
            plain.append(ip)
        elif request.reserved:
            (keep_reserved if state else reserve_first).append(ip)
        else:
            (plain if state is False else moves).append(ip)
    _need_assign_specific(behaviour, keep_reserved + reserve_first)
    actions: List[Action] = [UnassignIp(eni.eni_id, ip) for ip in current if request.purge and ip not in request.ips]
    sid = subnet.subnet.subnet_id
    if behaviour.assign_specific_ip:
        actions += [AssignIp(eni.eni_id, ip) for ip in plain + keep_reserved + moves]
        actions += [UnreserveIp(sid, ip) for ip in moves]
    else:
        actions += [AssignIp(eni.eni_id, ip) for ip in plain + keep_reserved]
        for ip in moves:
            actions += [UnreserveIp(sid, ip), AssignIp(eni.eni_id, ip)]
    for ip in reserve_first:
        actions += [ReserveIp(sid, ip), AssignIp(eni.eni_id, ip)]
    return actions


def _count(eni: EniSnapshot, subnet: _Subnet, request: SecondaryIpRequest) -> List[Action]:
    current = eni.secondary_ips
    if request.count > len(current):
        needed = request.count - len(current)
        free = subnet.subnet.random_available_count
        if free is not None and free < needed:
            raise RequestRefused(
                "count: subnet %s has %d addresses free for random allocation but %d more are needed for %d secondary IPs "
                "on network interface %s; lower count, free some addresses, or name reserved ones in private_ip_addresses"
                % (subnet.subnet.subnet_id, free, needed, request.count, eni.eni_id)
            )
        return [AssignRandomIps(eni.eni_id, needed)]
    if request.purge and request.count < len(current):
        return [UnassignIp(eni.eni_id, ip) for ip in current[request.count :]]
    return []


def _absent(
    eni: EniSnapshot, subnet: _Subnet, request: SecondaryIpRequest, behaviour: CloudBehaviour, warnings: List[str]
) -> List[Action]:
    _refuse_primary(eni, request.ips, "only secondary IPs can be unassigned")
    sid = subnet.subnet.subnet_id
    held = [ip for ip in request.ips if ip in eni.secondary_ips]
    actions: List[Action] = []
    if request.reserved is None:
        actions += [UnassignIp(eni.eni_id, ip) for ip in held]
    elif request.reserved and behaviour.reserve_assigned_ip:
        actions += [ReserveIp(sid, ip) for ip in held] + [UnassignIp(eni.eni_id, ip) for ip in held]
    elif request.reserved:
        for ip in held:
            actions += [UnassignIp(eni.eni_id, ip), ReserveIp(sid, ip)]
    else:
        # An assigned IP's reservation cannot be read, so it is released whatever it was.
        actions += [UnassignIp(eni.eni_id, ip) for ip in held] + [UnreserveIp(sid, ip) for ip in held]
    if request.reserved is not None:
        for ip in request.ips:
            if ip not in held:
                actions += _free_reservation(subnet, ip, request.reserved, warnings)
    return actions


def plan_secondary_ips(
    eni: Optional[EniSnapshot],
    subnet: SubnetSnapshot,
    cloud: CloudSnapshot,
    request: SecondaryIpRequest,
    behaviour: CloudBehaviour,
) -> Plan:
    """The actions that make eni (None: only the subnet's free IPs) hold and reserve what request asks.

    cloud: every ENI of the subnet (to find who holds an IP). Raises RequestRefused, before anything is
    planned, for what cannot be done: an IP another ENI holds, the ENI's primary IP, a count the subnet cannot
    fill, or an IP to keep reserved on a cloud that cannot assign reserved IPs.
    """
    view = _Subnet(subnet, cloud)
    warnings: List[str] = []
    if eni is None:
        actions: List[Action] = []
        for ip in request.ips:
            holder = view.holder(ip)
            if holder is not None and request.reserved:
                raise RequestRefused(
                    "private_ip_addresses: %s is assigned to network interface %s; reserve it as it is unassigned with "
                    "network_interface_id=%s state=absent reserved=true" % (ip, holder.eni_id, holder.eni_id)
                )
            actions += _free_reservation(view, ip, bool(request.reserved), warnings)
    elif not request.present:
        actions = _absent(eni, view, request, behaviour, warnings)
    elif request.count is not None:
        actions = _count(eni, view, request)
    else:
        actions = _present(eni, view, request, behaviour)
    return Plan(actions=tuple(actions), warnings=tuple(warnings))


def reserved_among(subnet: SubnetSnapshot, cloud: CloudSnapshot, ips: Sequence[str]) -> List[str]:
    """The ips known to be reserved and free (an assigned IP's reservation cannot be read)."""
    view = _Subnet(subnet, cloud)
    return sorted(ip for ip in ips if view.reserved_free(ip))
