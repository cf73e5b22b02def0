# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed helpers for the KEC 2016-03-04 actions (attach/detach ENIs, instances, instance type quotas)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import filters as encode_filters
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import one_based
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import first_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.paging import collect_marker


class KecMixin:
    """Needs ``self.call(service, action, params, what)`` (KsyunCore)."""

    def attach_network_interface(self, instance_id: str, network_interface_id: str) -> None:
        """Start attaching an ENI; it is in a transient state until ``wait_network_interface`` returns."""
        self.call(
            "kec",
            "AttachNetworkInterface",
            {"InstanceId": instance_id, "NetworkInterfaceId": network_interface_id},
            "attach network interface %s to instance %s" % (network_interface_id, instance_id),
        )

    def detach_network_interface(self, instance_id: str, network_interface_id: str) -> None:
        self.call(
            "kec",
            "DetachNetworkInterface",
            {"InstanceId": instance_id, "NetworkInterfaceId": network_interface_id},
            "detach network interface %s from instance %s" % (network_interface_id, instance_id),
        )

    def modify_network_interface_attribute(
        self,
        instance_id: str,
        network_interface_id: str,
        subnet_id: str,
        security_group_ids: Iterable[str],
        private_ip: Optional[str] = None,
    ) -> None:
        """Set the subnet, security groups (all of them: groups left out are removed) and optionally the primary IP of
        an ENI attached to ``instance_id``."""
        params = {
            "InstanceId": instance_id,
            "NetworkInterfaceId": network_interface_id,
            "SubnetId": subnet_id,
            "SecurityGroupId": one_based(security_group_ids),
            "PrivateIpAddress": private_ip,
        }
        self.call(
            "kec",
            "ModifyNetworkInterfaceAttribute",
            params,
            "modify network interface %s of instance %s" % (network_interface_id, instance_id),
        )

    def describe_instances(
        self,
        instance_ids: Optional[Iterable[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        project_ids: Optional[Iterable[Any]] = None,
        page_size: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Every matching instance (all pages), each with its NetworkInterfaceSet. Without ``project_ids`` the
        API searches only the default project 0."""
        ids = list(instance_ids or [])
        if len(ids) > 100:
            raise ValueError("describe_instances takes at most 100 instance ids per call, got %d" % len(ids))
        params = {
            "InstanceId": one_based(ids),
            "ProjectId": one_based([str(p) for p in project_ids or []]),
            "Filter": encode_filters(filters),
            "MaxResults": page_size,
        }

        def fetch(marker: int) -> Dict[str, Any]:
            return self.call("kec", "DescribeInstances", dict(params, Marker=marker or None), "describe instances")

        return collect_marker(fetch, "InstancesSet", "describe instances")

    def get_instance(self, instance_id: str, project_ids: Optional[Iterable[Any]] = None) -> Optional[Dict[str, Any]]:
        """The instance, or None if it does not exist (in the projects searched)."""
        return first_or_none(
            lambda: [
                i
                for i in self.describe_instances([instance_id], project_ids=project_ids)
                if i.get("InstanceId") == instance_id
            ]
        )

    def describe_instance_type_configs(
        self, instance_types: Optional[Iterable[str]] = None, filters: Optional[Mapping[str, Any]] = None
    ) -> List[Dict[str, Any]]:
        """Instance types with NetworkInterfaceQuota.NetworkInterfaceCount and PrivateIpQuota.PrivateIpCount."""
        spec = dict(filters or {})
        if instance_types:
            spec["instance-type"] = list(instance_types)
        params = {"Filter": encode_filters(spec, name_as_list=True)}
        return (
            self.call("kec", "DescribeInstanceTypeConfigs", params, "describe instance type configs").get(
                "InstanceTypeConfigSet"
            )
            or []
        )
