# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switching a cluster's VPC-CNI: from the cluster, its VPC's subnets and security groups, and the wanted settings, a
Plan with one ModifyClusterVpcCni, or none when the cluster already has exactly that.

Everything the platform would refuse, or would accept and then fail on, is refused here before any call, naming the
value: an unknown mode, a subnet that does not exist, is in another VPC, is not of type Normal or lies in a zone where
the cluster has no node (no pod could use it), a security group that does not exist or is in another VPC.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import ModifyClusterVpcCni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import ClusterSnapshot, VpcCniSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import SubnetSnapshot

NORMAL_SUBNET = "Normal"


def parse_mode(value: Optional[str]) -> Mode:
    """shared or exclusive (the product page's words) as the domain's Mode."""
    for mode in Mode:
        if value == mode.value:
            return mode
    raise RequestRefused(
        "mode: %r is not a VPC-CNI mode; use shared (several pods share an ENI, one secondary IP each) or exclusive "
        "(each pod has an ENI of its own)" % (value,)
    )


def wanted_settings(
    enabled: bool, mode: Optional[str] = None, subnet_ids: Sequence[str] = (), security_group_id: Optional[str] = None
) -> VpcCniSettings:
    """The wanted settings from a task's options: off needs nothing else; on needs a mode, subnets and a security group
    (duplicate subnets are dropped, their order kept)."""
    if not enabled:
        return VpcCniSettings(enabled=False)
    parsed = parse_mode(mode)
    ids = tuple(dict.fromkeys(s for s in subnet_ids or () if s))
    if not ids:
        raise RequestRefused(
            "subnet_ids: VPC-CNI needs at least one pod subnet; give subnets of the cluster's VPC in the zones of its "
            "nodes (ksyun.kce.subnet_info lists them)"
        )
    if not security_group_id:
        raise RequestRefused(
            "security_group_id: VPC-CNI needs the security group of the pods' ENIs; give a security group of the "
            "cluster's VPC"
        )
    return VpcCniSettings(enabled=True, mode=parsed, subnet_ids=ids, security_group_id=security_group_id)


def _refuse_subnets(cluster: ClusterSnapshot, wanted: VpcCniSettings, subnets: Iterable[SubnetSnapshot]) -> None:
    found = {subnet.subnet_id: subnet for subnet in subnets}
    missing = [s for s in wanted.subnet_ids if s not in found]
    if missing:
        raise RequestRefused(
            "subnet_ids: subnet %s does not exist; give subnets of VPC %s of cluster %s (ksyun.kce.subnet_info lists them)"
            % (", ".join(missing), cluster.vpc_id, cluster.label)
        )
    elsewhere = [found[s] for s in wanted.subnet_ids if found[s].vpc_id != cluster.vpc_id]
    if elsewhere:
        raise RequestRefused(
            "subnet_ids: %s not in VPC %s of cluster %s; VPC-CNI places pods in subnets of the cluster's VPC only"
            % (
                ", ".join("subnet %s is in VPC %s" % (s.subnet_id, s.vpc_id or "unknown") for s in elsewhere),
                cluster.vpc_id,
                cluster.label,
            )
        )
    other_type = [found[s] for s in wanted.subnet_ids if (found[s].subnet_type or NORMAL_SUBNET) != NORMAL_SUBNET]
    if other_type:
        raise RequestRefused(
            "subnet_ids: %s; the pods' ENIs need subnets of type Normal"
            % ", ".join("subnet %s is of type %s" % (s.subnet_id, s.subnet_type) for s in other_type)
        )
    zones = cluster.node_zones
    nodeless = [found[s] for s in wanted.subnet_ids if found[s].zone not in zones]
    if nodeless:
        raise RequestRefused(
            "subnet_ids: %s, where cluster %s has no node (its nodes are in %s); a pod subnet must be in the zone of "
            "the nodes whose pods use it"
            % (
                ", ".join("subnet %s is in zone %s" % (s.subnet_id, s.zone or "unknown") for s in nodeless),
                cluster.label,
                ", ".join(sorted(zones)) or "no zone: it has no node",
            )
        )


def _refuse_security_group(
    cluster: ClusterSnapshot, wanted: VpcCniSettings, security_group_vpcs: Mapping[str, str]
) -> None:
    group = wanted.security_group_id
    if group not in security_group_vpcs:
        raise RequestRefused(
            "security_group_id: security group %s does not exist; give a security group of VPC %s of cluster %s"
            % (group, cluster.vpc_id, cluster.label)
        )
    if security_group_vpcs[group] != cluster.vpc_id:
        raise RequestRefused(
            "security_group_id: security group %s is in VPC %s, not in VPC %s of cluster %s; give a security group of "
            "the cluster's VPC" % (group, security_group_vpcs[group] or "unknown", cluster.vpc_id, cluster.label)
        )


def plan_vpc_cni(
    cluster: ClusterSnapshot,
    wanted: VpcCniSettings,
    subnets: Iterable[SubnetSnapshot] = (),
    security_group_vpcs: Optional[Mapping[str, str]] = None,
    wait: bool = True,
) -> Plan:
    """One ModifyClusterVpcCni making the cluster's VPC-CNI wanted, or no action when it is already.

    subnets: the wanted subnets that exist (SubnetSnapshot: VPC, zone, type). security_group_vpcs: the VPC of each
    security group that exists, by id. Raises RequestRefused, naming the value, before anything is planned.
    """
    if cluster.vpc_cni is None:
        raise RequestRefused(
            "cluster %s: the KCE 2.0 API (kce2 DescribeClusters) does not list it, so its VPC-CNI settings cannot be read "
            "or changed" % cluster.label
        )
    if wanted.enabled:
        if wanted.mode is None:
            raise RequestRefused("mode: give shared or exclusive to enable VPC-CNI on cluster %s" % cluster.label)
        _refuse_subnets(cluster, wanted, subnets)
        _refuse_security_group(cluster, wanted, security_group_vpcs or {})
    if cluster.vpc_cni.matches(wanted):
        return Plan(reason="VPC-CNI of cluster %s is already %s" % (cluster.label, cluster.vpc_cni.describe()))
    return Plan(actions=(ModifyClusterVpcCni(cluster.cluster_id, wanted, wait),))


def planned_settings(cluster: ClusterSnapshot, plan: Plan) -> Optional[VpcCniSettings]:
    """The cluster's VPC-CNI once plan has run (for check mode's diff): the settings it sends; off keeps what the
    platform showed besides Enable."""
    current = cluster.vpc_cni
    for action in plan.actions:
        if isinstance(action, ModifyClusterVpcCni):
            if action.settings.enabled:
                current = action.settings
            elif current is not None:
                current = VpcCniSettings(
                    enabled=False,
                    mode=current.mode,
                    subnet_ids=current.subnet_ids,
                    security_group_id=current.security_group_id,
                    daemon_mode=current.daemon_mode,
                )
    return current
