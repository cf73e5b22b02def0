# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preview: the cloud as it would be after a plan's cloud actions, for check mode's "after" (nothing is called).

A created ENI gets its Ref as id ("<new-eni.eni_id>"), IPs the cloud would pick at random get a
placeholder, so a check-mode diff shows what will change without inventing what the cloud decides.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    Action,
    AllocateEip,
    AssignIp,
    AssignRandomIps,
    AssociateEip,
    AttachEni,
    CreateEni,
    DeleteEni,
    DetachEni,
    DisassociateEip,
    NameEip,
    ReleaseEip,
    RenameEni,
    ReserveIp,
    SetEniSecurityGroups,
    UnassignIp,
    UnreserveIp,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    AVAILABLE,
    EIP_ASSOCIATED,
    EIP_FREE,
    IN_USE,
    CloudSnapshot,
    EipSnapshot,
    EniSnapshot,
)

RANDOM_IP = "(assigned at random)"


def _eni_id(value) -> str:
    return str(value)


def _change_eni(cloud: CloudSnapshot, eni_id: str, **changes) -> CloudSnapshot:
    enis = tuple(dataclasses.replace(eni, **changes) if eni.eni_id == eni_id else eni for eni in cloud.enis)
    return dataclasses.replace(cloud, enis=enis)


def _change_reserved(cloud: CloudSnapshot, subnet_id: str, ip: str, reserved: bool) -> CloudSnapshot:
    subnets = tuple(
        (
            dataclasses.replace(s, reserved_ips=(s.reserved_ips | {ip}) if reserved else (s.reserved_ips - {ip}))
            if s.subnet_id == subnet_id
            else s
        )
        for s in cloud.subnets
    )
    return dataclasses.replace(cloud, subnets=subnets)


def _change_eip(cloud: CloudSnapshot, allocation_id: str, **changes) -> CloudSnapshot:
    addresses = tuple(
        dataclasses.replace(eip, **changes) if eip.allocation_id == allocation_id else eip for eip in cloud.addresses
    )
    return dataclasses.replace(cloud, addresses=addresses)


def _apply_eip(cloud: CloudSnapshot, action) -> CloudSnapshot:
    if isinstance(action, AllocateEip):
        new = EipSnapshot(
            allocation_id=str(Ref(action.ref, "allocation_id")),
            public_ip=str(Ref(action.ref, "public_ip")),
            band_width=action.band_width,
            line_id=action.line_id or "",
            charge_type=action.charge_type or "",
            project_id=action.project_id or "",
        )
        return dataclasses.replace(cloud, addresses=cloud.addresses + (new,))
    if isinstance(action, NameEip):
        return _change_eip(cloud, str(action.eip), name=action.name)
    if isinstance(action, ReleaseEip):
        return dataclasses.replace(
            cloud, addresses=tuple(eip for eip in cloud.addresses if eip.allocation_id != str(action.eip))
        )
    if isinstance(action, AssociateEip):
        return _change_eip(
            cloud,
            str(action.eip),
            state=EIP_ASSOCIATED,
            eni_id=str(action.eni),
            instance_id=action.instance_id,
            private_ip=action.private_ip,
        )
    return _change_eip(cloud, str(action.eip), state=EIP_FREE, eni_id="", instance_id="", private_ip="")


def _apply(cloud: CloudSnapshot, action) -> CloudSnapshot:
    if isinstance(action, (AllocateEip, NameEip, ReleaseEip, AssociateEip, DisassociateEip)):
        return _apply_eip(cloud, action)
    if isinstance(action, SetEniSecurityGroups):
        return _change_eni(cloud, _eni_id(action.eni), security_group_ids=action.security_group_ids)
    if isinstance(action, CreateEni):
        subnet = cloud.subnet(action.subnet_id)
        new = EniSnapshot(
            eni_id=str(Ref(action.ref)),
            name=action.name,
            subnet_id=action.subnet_id,
            zone=subnet.zone if subnet else "",
            primary_ip=action.primary_ip or str(Ref(action.ref, "primary_ip")),
            mac=str(Ref(action.ref, "mac")),
            security_group_ids=action.security_group_ids,
            vpc_id=subnet.vpc_id if subnet else "",
        )
        return dataclasses.replace(cloud, enis=cloud.enis + (new,))
    if isinstance(action, RenameEni):
        return _change_eni(cloud, _eni_id(action.eni), name=action.name)
    if isinstance(action, AttachEni):
        return _change_eni(cloud, _eni_id(action.eni), instance_id=action.instance_id, state=IN_USE)
    if isinstance(action, DetachEni):
        return _change_eni(cloud, _eni_id(action.eni), instance_id=None, state=AVAILABLE)
    if isinstance(action, DeleteEni):
        return dataclasses.replace(cloud, enis=tuple(eni for eni in cloud.enis if eni.eni_id != _eni_id(action.eni)))
    held = cloud.eni(_eni_id(getattr(action, "eni", "")))
    if isinstance(action, AssignIp) and held is not None:
        return _change_eni(cloud, held.eni_id, secondary_ips=held.secondary_ips + (action.ip,))
    if isinstance(action, AssignRandomIps) and held is not None:
        return _change_eni(cloud, held.eni_id, secondary_ips=held.secondary_ips + (RANDOM_IP,) * action.count)
    if isinstance(action, UnassignIp) and held is not None:
        return _change_eni(cloud, held.eni_id, secondary_ips=tuple(ip for ip in held.secondary_ips if ip != action.ip))
    if isinstance(action, (ReserveIp, UnreserveIp)):
        return _change_reserved(cloud, action.subnet_id, action.ip, isinstance(action, ReserveIp))
    return cloud


def preview(cloud: CloudSnapshot, actions: Iterable[Action]) -> CloudSnapshot:
    """cloud after actions, in order; record and pod actions change nothing here."""
    for action in actions:
        cloud = _apply(cloud, action)
    return cloud
