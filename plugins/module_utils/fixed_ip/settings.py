# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings: the cluster-wide choices every flow needs (pod subnets per zone, default retention, cloud abilities)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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
            "with a letter or digit (the KCE cluster id works)" % (name, MAX_CLUSTER_NAME))
    return name


@dataclass(frozen=True)
class Settings:
    """reserve_assigned_ip_supported: the cloud can mark an assigned IP specific (closes the release window).

    assign_specific_ip_supported: an explicit AssignPrivateIpAddress may take a specific IP (closes the bind window).
    """

    cluster_name: str
    security_group_ids: Tuple[str, ...] = ()
    pod_subnets: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    default_retention: Retention = Retention()
    reserve_assigned_ip_supported: bool = False
    assign_specific_ip_supported: bool = True

    def __post_init__(self):
        check_cluster_name(self.cluster_name)
        if isinstance(self.security_group_ids, str):
            raise InvalidSettings("security_group_ids %r must be a list of ids, not one string" % self.security_group_ids)
        object.__setattr__(self, "security_group_ids", tuple(self.security_group_ids or ()))
        subnets = {}
        for zone, ids in dict(self.pod_subnets or {}).items():
            if isinstance(ids, str):
                raise InvalidSettings("pod_subnets[%r] = %r must be a list of subnet ids, in order of preference" % (zone, ids))
            subnets[zone] = tuple(ids)
        object.__setattr__(self, "pod_subnets", subnets)
        object.__setattr__(self, "default_retention", Retention.parse(self.default_retention))

    def subnets_in(self, zone: str) -> Tuple[str, ...]:
        return self.pod_subnets.get(zone, ())
