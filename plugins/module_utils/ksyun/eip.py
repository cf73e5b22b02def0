# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed helpers for the EIP 2016-03-04 actions (elastic public IPs) and the one tag call they need (tagv2 2020-09-01)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import filters as encode_filters
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import one_based
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import first_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.paging import collect_next_token

# AssociateAddress InstanceType for a network interface (SDK model: Ipfwd|Slb|Havip).
IPFWD = "Ipfwd"
EIP_RESOURCE_TYPE = "eip"
# The tag key of the name the collection gives an EIP (EIPs have no name field of their own); read by read_model.
EIP_NAME_TAG = "ksyun-kce-name"


class EipMixin:
    """Needs ``self.call(service, action, params, what)`` (KsyunCore)."""

    def allocate_address(
        self,
        band_width: int,
        line_id: Optional[str] = None,
        charge_type: Optional[str] = None,
        project_id: Optional[str] = None,
        purchase_time: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A new EIP; returns the answer (``AllocationId``, ``PublicIp``)."""
        params = {
            "BandWidth": band_width,
            "LineId": line_id,
            "ChargeType": charge_type,
            "ProjectId": project_id,
            "PurchaseTime": purchase_time,
        }
        return self.call("eip", "AllocateAddress", params, "allocate an elastic IP of %s Mbps" % band_width)

    def release_address(self, allocation_id: str) -> None:
        self.call("eip", "ReleaseAddress", {"AllocationId": allocation_id}, "release elastic IP %s" % allocation_id)

    def describe_addresses(
        self,
        allocation_ids: Optional[Iterable[str]] = None,
        filters: Optional[Mapping[str, Any]] = None,
        state: Optional[str] = None,
        project_ids: Optional[Iterable[Any]] = None,
        with_tags: bool = False,
        page_size: Optional[int] = None,
    ) -> List[Dict[str, Any]]:
        """Every matching EIP (all pages); ``state`` is ``associate`` or ``disassociate``; ``with_tags`` adds TagSet."""
        params = {
            "AllocationId": one_based(allocation_ids),
            "ProjectId": one_based([str(p) for p in project_ids or []]),
            "Filter": encode_filters(filters),
            "State": state,
            "IsContainTag": True if with_tags else None,
        }

        def fetch(token: Optional[str]) -> Dict[str, Any]:
            return self.call(
                "eip", "DescribeAddresses", dict(params, MaxResults=page_size, NextToken=token), "describe elastic IPs"
            )

        return collect_next_token(fetch, "AddressesSet", "describe elastic IPs")

    def get_address(self, allocation_id: str, with_tags: bool = False) -> Optional[Dict[str, Any]]:
        """The EIP, or None if it does not exist."""
        return first_or_none(
            lambda: [
                a
                for a in self.describe_addresses([allocation_id], with_tags=with_tags)
                if a.get("AllocationId") == allocation_id
            ]
        )

    def associate_address(
        self,
        allocation_id: str,
        instance_id: str,
        network_interface_id: Optional[str] = None,
        private_ip: Optional[str] = None,
    ) -> None:
        """Associate an EIP with an ENI of an instance (InstanceType Ipfwd); ``private_ip`` None means its primary IP."""
        params = {
            "AllocationId": allocation_id,
            "InstanceType": IPFWD,
            "InstanceId": instance_id,
            "NetworkInterfaceId": network_interface_id,
            "PrivateIpAddress": private_ip,
        }
        what = "associate elastic IP %s with %s of network interface %s" % (
            allocation_id,
            private_ip or "the primary IP",
            network_interface_id or "(primary) of instance %s" % instance_id,
        )
        self.call("eip", "AssociateAddress", params, what)

    def disassociate_address(self, allocation_id: str) -> None:
        self.call(
            "eip", "DisassociateAddress", {"AllocationId": allocation_id}, "disassociate elastic IP %s" % allocation_id
        )

    def tag_address(self, allocation_id: str, key: str, value: str) -> None:
        """Set one tag on an EIP (tagv2 CreateTagAndAttachResource); a key it has already gets the new value."""
        params = {"TagKey": key, "TagValue": value, "ResourceType": EIP_RESOURCE_TYPE, "ResourceUuid": allocation_id}
        self.call("tagv2", "CreateTagAndAttachResource", params, "tag elastic IP %s with %s" % (allocation_id, key))
