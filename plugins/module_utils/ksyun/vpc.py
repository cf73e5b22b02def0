# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed helpers for the VPC 2016-03-04 actions (network interfaces, secondary IPs, subnets, security groups)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import filters as encode_filters
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import one_based
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import first_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.paging import collect_next_token
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.waiter import attached_to, wait_for_eni

ALLOCATE_RANDOM = "random"
ALLOCATE_SPECIFIC = "specific"


class VpcMixin:
    """Needs ``self.call(service, action, params, what)`` (KsyunCore)."""

    def _vpc_pages(self, action, params, key, what, page_size=None):
        def fetch(token: Optional[str]) -> Dict[str, Any]:
            return self.call("vpc", action, dict(params, MaxResults=page_size, NextToken=token), what)

        return collect_next_token(fetch, key, what)

    def describe_network_interfaces(
        self,
        network_interface_ids: Optional[Iterable[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        page_size: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Every matching ENI (all pages); ``filters`` maps a documented filter name to a value or list."""
        params = {"NetworkInterfaceId": one_based(network_interface_ids), "Filter": encode_filters(filters)}
        return self._vpc_pages(
            "DescribeNetworkInterfaces", params, "NetworkInterfaceSet", "describe network interfaces", page_size
        )

    def get_network_interface(self, network_interface_id: str) -> Optional[Dict[str, Any]]:
        """The ENI, or None if it does not exist (ksyun.errors.first_or_none, the rule of every getter)."""
        return first_or_none(
            lambda: [
                e
                for e in self.describe_network_interfaces([network_interface_id])
                if e.get("NetworkInterfaceId") == network_interface_id
            ]
        )

    def create_network_interface(
        self,
        subnet_id: str,
        security_group_ids: Iterable[str],
        name: Optional[str] = None,
        private_ip: Optional[str] = None,
    ) -> str:
        """A new detached ENI; returns its id. ``private_ip`` None lets the subnet pick one at random."""
        params = {
            "SubnetId": subnet_id,
            "SecurityGroupId": one_based(security_group_ids),
            "NetworkInterfaceName": name,
            "PrivateIpAddress": private_ip,
        }
        what = "create network interface in subnet %s" % subnet_id
        return self.call("vpc", "CreateNetworkInterface", params, what)["NetworkInterfaceId"]

    def delete_network_interface(self, network_interface_id: str) -> None:
        self.call(
            "vpc",
            "DeleteNetworkInterface",
            {"NetworkInterfaceId": network_interface_id},
            "delete network interface %s" % network_interface_id,
        )

    def modify_network_interface(self, network_interface_id: str, name: str) -> None:
        """Rename an ENI (the only change this VPC call makes)."""
        self.call(
            "vpc",
            "ModifyNetworkInterface",
            {"NetworkInterfaceId": network_interface_id, "NetworkInterfaceName": name},
            "rename network interface %s" % network_interface_id,
        )

    def assign_private_ips(
        self, network_interface_id: str, private_ips: Optional[Sequence[str]] = None, count: Optional[int] = None
    ) -> Dict[str, Any]:
        """Add secondary IPs by name or by count (not both); returns the updated ENI."""
        if bool(private_ips) == bool(count):
            raise ValueError("give either private_ips or count to assign_private_ips, not both or neither")
        params = {
            "NetworkInterfaceId": network_interface_id,
            "PrivateIpAddress": one_based(private_ips),
            "SecondaryPrivateIpAddressCount": count,
        }
        what = "assign %s to network interface %s" % (
            ", ".join(private_ips) if private_ips else "%d private IPs" % count,
            network_interface_id,
        )
        return self.call("vpc", "AssignPrivateIpAddress", params, what)["NetworkInterface"]

    def unassign_private_ips(self, network_interface_id: str, private_ips: Sequence[str]) -> None:
        params = {"NetworkInterfaceId": network_interface_id, "PrivateIpAddress": one_based(private_ips)}
        self.call(
            "vpc",
            "UnassignPrivateIpAddress",
            params,
            "unassign %s from network interface %s" % (", ".join(private_ips), network_interface_id),
        )

    def describe_subnets(
        self,
        subnet_ids: Optional[Iterable[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        page_size: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        params = {"SubnetId": one_based(subnet_ids), "Filter": encode_filters(filters)}
        return self._vpc_pages("DescribeSubnets", params, "SubnetSet", "describe subnets", page_size)

    def get_subnet(self, subnet_id: str) -> Optional[Dict[str, Any]]:
        """The subnet, or None if it does not exist."""
        return first_or_none(lambda: [s for s in self.describe_subnets([subnet_id]) if s.get("SubnetId") == subnet_id])

    def describe_subnet_available_addresses(self, subnet_id: str, page_size: Optional[int] = None) -> List[Any]:
        """Free IPs of the subnet (the answer's key is AvailableIpAddress)."""
        params = {"Filter": encode_filters({"subnet-id": subnet_id})}
        return self._vpc_pages(
            "DescribeSubnetAvailableAddresses",
            params,
            "AvailableIpAddress",
            "describe available addresses of subnet %s" % subnet_id,
            page_size,
        )

    def describe_subnet_allocated_addresses(self, subnet_id: str, page_size: Optional[int] = None) -> List[Any]:
        """IPs in use in the subnet (the real answer uses the key AvailableIpAddress here too)."""
        params = {"Filter": encode_filters({"subnet-id": subnet_id})}
        return self._vpc_pages(
            "DescribeSubnetAllocatedIpAddresses",
            params,
            "AvailableIpAddress",
            "describe allocated addresses of subnet %s" % subnet_id,
            page_size,
        )

    def modify_private_ip_attribute(
        self, subnet_id: str, private_ip: str, allocate_status: Optional[str] = None, status: Optional[str] = None
    ) -> Dict[str, Any]:
        """Set a subnet IP's AllocateStatus (``specific`` = reserved, ``random``) and/or Status; returns the attribute."""
        params = {
            "SubnetId": subnet_id,
            "PrivateIpAddress": private_ip,
            "AllocateStatus": allocate_status,
            "Status": status,
        }
        what = "set allocate status of %s in subnet %s to %s" % (private_ip, subnet_id, allocate_status or status)
        attr = self.call("vpc", "ModifyPrivateIpAddressAttribute", params, what).get("PrivateIpAddressAttribute") or {}
        # The id's casing differs between SDKs ([U]); read both.
        attr.setdefault("PrivateIpAddressId", attr.get("privateIpAddressId"))
        return attr

    def reserve_private_ip(self, subnet_id: str, private_ip: str) -> Dict[str, Any]:
        """Mark an IP ``specific``: random allocation will not hand it out."""
        return self.modify_private_ip_attribute(subnet_id, private_ip, allocate_status=ALLOCATE_SPECIFIC)

    def release_private_ip_reservation(self, subnet_id: str, private_ip: str) -> Dict[str, Any]:
        return self.modify_private_ip_attribute(subnet_id, private_ip, allocate_status=ALLOCATE_RANDOM)

    def describe_security_groups(
        self,
        security_group_ids: Optional[Iterable[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        page_size: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        params = {"SecurityGroupId": one_based(security_group_ids), "Filter": encode_filters(filters)}
        return self._vpc_pages(
            "DescribeSecurityGroups", params, "SecurityGroupSet", "describe security groups", page_size
        )

    def wait_network_interface(
        self,
        network_interface_id: str,
        instance_id: Optional[str] = None,
        timeout: float = 120.0,
        interval: Optional[float] = 2.0,
    ) -> Mapping[str, Any]:
        """Wait until the ENI is settled and attached to ``instance_id`` (or detached when None); returns it."""
        return wait_for_eni(self, network_interface_id, attached_to(instance_id), timeout, interval, sleep=self._sleep)
