# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compensation: what puts the cloud back when an action fails right after the action that opened a window.

The flows need none of it: they plan again from their record. A task without a record (the cloud
modules) has nothing to resume from, so the executor runs these steps at once instead: an IP is
never left both unassigned and unreserved, a new ENI is not left behind, a moved ENI is not lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    Action,
    AllocateEip,
    AssignIp,
    AttachEni,
    CreateEni,
    DeleteEni,
    DetachEni,
    NameEip,
    ReleaseEip,
    ReserveIp,
    UnassignIp,
    UnreserveIp,
)


@dataclass(frozen=True)
class Compensation:
    """actions: the steps, in order. undone: what the result says once they ran. left_open: what it says if they could not."""

    actions: Tuple[Action, ...] = ()
    undone: str = ""
    left_open: str = ""


def _reserve_now(subnet_id: str, ip: str) -> str:
    return (
        "%s is neither assigned nor reserved: reserve it now with ksyun.kce.eni_private_ip subnet_id=%s private_ip_addresses=[%s] "
        "reserved=true" % (ip, subnet_id, ip)
    )


def compensation(failed: Action, done: Sequence[Action], created_eni: Optional[str] = None) -> Compensation:
    """What undoes the window failed leaves open after done (resolved actions, in order); no actions when none is open.

    created_eni: the id CreateEni returned, when the plan created one.
    """
    last = done[-1] if done else None
    if isinstance(failed, ReserveIp) and isinstance(last, UnassignIp) and last.ip == failed.ip:
        return Compensation(
            (AssignIp(last.eni, last.ip),),
            "%s was assigned back to ENI %s" % (last.ip, last.eni),
            _reserve_now(failed.subnet_id, failed.ip),
        )
    if isinstance(failed, AssignIp) and isinstance(last, UnreserveIp) and last.ip == failed.ip:
        return Compensation(
            (ReserveIp(last.subnet_id, last.ip),),
            "the reservation of %s was restored" % last.ip,
            _reserve_now(last.subnet_id, last.ip),
        )
    if isinstance(failed, AssignIp) and isinstance(last, ReserveIp) and last.ip == failed.ip:
        return Compensation(
            (UnreserveIp(last.subnet_id, last.ip),),
            "the reservation of %s was released again" % last.ip,
            "%s stays reserved (safe: random allocation cannot take it); release it with ksyun.kce.eni_private_ip "
            "subnet_id=%s private_ip_addresses=[%s] reserved=false" % (last.ip, last.subnet_id, last.ip),
        )
    if isinstance(failed, UnreserveIp) and any(isinstance(a, AssignIp) and a.ip == failed.ip for a in done):
        # Assigned, and only the reservation is left over: safe as it is, nothing to undo.
        return Compensation(
            (),
            "%s is on the ENI and still reserved, which is safe (random allocation cannot take it); release the "
            "reservation with ksyun.kce.eni_private_ip subnet_id=%s private_ip_addresses=[%s] reserved=false once it "
            "is unassigned" % (failed.ip, failed.subnet_id, failed.ip),
        )
    if isinstance(failed, AttachEni) and isinstance(last, DetachEni) and last.eni == failed.eni:
        return Compensation(
            (AttachEni(last.eni, last.instance_id),),
            "it was attached back to %s" % last.instance_id,
            "ENI %s is detached (it keeps its IPs): attach it with ksyun.kce.eni_attachment" % last.eni,
        )
    if (
        isinstance(failed, AttachEni)
        and created_eni
        and failed.eni == created_eni
        and any(isinstance(a, CreateEni) for a in done)
    ):
        return Compensation(
            (DetachEni(failed.eni, failed.instance_id), DeleteEni(failed.eni)),
            "the new ENI %s was deleted again, nothing is left behind" % failed.eni,
            "ENI %s is left behind: delete it with ksyun.kce.eni network_interface_id=%s state=absent force_detach=true"
            % (failed.eni, failed.eni),
        )
    if isinstance(failed, NameEip) and any(isinstance(a, AllocateEip) for a in done):
        # An EIP without its name would be allocated again by the next run: release it now.
        return Compensation(
            (ReleaseEip(failed.eip),),
            "the new elastic IP %s was released again, nothing is left behind" % failed.eip,
            "elastic IP %s is left without its name %s: release it with ksyun.kce.eip allocation_id=%s state=absent"
            % (failed.eip, failed.name, failed.eip),
        )
    return Compensation()
