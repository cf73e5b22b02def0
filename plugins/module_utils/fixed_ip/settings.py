# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings: the cluster-wide choices every flow needs (pod subnets per zone, default retention) and how the cloud behaves."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Mapping, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention

MAX_CLUSTER_NAME = 40
_CLUSTER_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


def check_cluster_name(name: str) -> str:
    """ENI names start with the cluster name, so it must be short and free of the "_" field separator."""
    if not isinstance(name, str) or len(name) > MAX_CLUSTER_NAME or not _CLUSTER_NAME.fullmatch(name):
        raise InvalidSettings(
            "cluster name %r cannot mark ENIs: use at most %d lower-case letters, digits and '-', starting and ending "
            "with a letter or digit (the KCE cluster id works)" % (name, MAX_CLUSTER_NAME)
        )
    return name


def eni_cluster_name(name: str, cluster_id: str) -> str:
    """The name that starts a KCE cluster's ENI names: the cluster's name where it can mark ENIs, else its id."""
    try:
        return check_cluster_name(name)
    except InvalidSettings:
        return check_cluster_name(cluster_id)


@dataclass(frozen=True)
class CloudBehaviour:
    """How the KSYUN API behaves where docs/sandbox.md marks it unknown ([U]): each choice is made here and only here.

    The flows read it from the cluster ConfigMap, the cloud modules from their options; both start from these
    defaults, which are the emulator's strict defaults. Each field names the emulator setting it describes.

    reserve_assigned_ip: an assigned IP can be marked specific (allow_specific_on_assigned_ip), so a release
    reserves before it unassigns and the IP is never open to random allocation.
    assign_specific_ip: an explicit assign may take a specific IP (explicit_assign_takes_specific), so a bind
    assigns before it unreserves.
    available_excludes_reserved: DescribeSubnetAvailableAddresses leaves specific IPs out
    (available_addresses_include_specific=false), so a subnet's reserved IPs can be derived; when it lists
    them, a reservation is known only from the record that made it.
    eni_quota_counts_primary, ip_quota_counts_primary: NetworkInterfaceCount / PrivateIpCount include the
    primary ENI / the primary IP. ip_quota_per_instance: PrivateIpCount limits all ENIs of an instance together
    (ip_quota_scope=instance) rather than each ENI.
    """

    reserve_assigned_ip: bool = False
    assign_specific_ip: bool = True
    available_excludes_reserved: bool = True
    eni_quota_counts_primary: bool = True
    ip_quota_counts_primary: bool = True
    ip_quota_per_instance: bool = False

    def __post_init__(self):
        for item in fields(self):
            if not isinstance(getattr(self, item.name), bool):
                raise InvalidSettings(
                    "cloud behaviour %s=%r must be true or false" % (item.name, getattr(self, item.name))
                )


@dataclass(frozen=True)
class Settings:
    """The cluster-wide choices of every flow; cloud says how the KSYUN API behaves where that is unknown.

    fixed_ip: fixed Pod IP is on (the product page's cluster switch). Off, a pod asking for a fixed IP gets an
    ordinary one with a warning; a reservation made while it was on is still honoured, never dropped.
    """

    cluster_name: str
    security_group_ids: Tuple[str, ...] = ()
    pod_subnets: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    default_retention: Retention = Retention()
    cloud: CloudBehaviour = CloudBehaviour()
    fixed_ip: bool = True

    def __post_init__(self):
        check_cluster_name(self.cluster_name)
        if not isinstance(self.fixed_ip, bool):
            raise InvalidSettings("fixed_ip %r must be true or false" % (self.fixed_ip,))
        if isinstance(self.security_group_ids, str):
            raise InvalidSettings(
                "security_group_ids %r must be a list of ids, not one string" % self.security_group_ids
            )
        object.__setattr__(self, "security_group_ids", tuple(self.security_group_ids or ()))
        subnets = {}
        for zone, ids in dict(self.pod_subnets or {}).items():
            if isinstance(ids, str):
                raise InvalidSettings(
                    "pod_subnets[%r] = %r must be a list of subnet ids, in order of preference" % (zone, ids)
                )
            subnets[zone] = tuple(ids)
        object.__setattr__(self, "pod_subnets", subnets)
        object.__setattr__(self, "default_retention", Retention.parse(self.default_retention))
        if not isinstance(self.cloud, CloudBehaviour):
            raise InvalidSettings("cloud %r must be a CloudBehaviour" % (self.cloud,))

    def subnets_in(self, zone: str) -> Tuple[str, ...]:
        return self.pod_subnets.get(zone, ())

    def all_subnets(self) -> Tuple[str, ...]:
        """Every pod subnet of every zone, in zone order."""
        return tuple(subnet for zone in sorted(self.pod_subnets) for subnet in self.pod_subnets[zone])
