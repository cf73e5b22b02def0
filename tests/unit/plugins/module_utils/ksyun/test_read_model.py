# -*- coding: utf-8 -*-
"""The cloud read model's pure part: API items as snapshots (ENI state words, a subnet's reserved IPs), no server."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import (
    dhcp_range,
    eni_snapshot,
    eni_state,
    subnet_snapshot,
)

SUBNET = {
    "SubnetId": "s-1",
    "CidrBlock": "10.0.2.0/28",
    "AvailabilityZoneName": "cn-beijing-6a",
    "GatewayIp": "10.0.2.1",
    "DhcpIpFrom": "10.0.2.2",
    "DhcpIpTo": "10.0.2.14",
    "AvailableIpNumber": 9,
    "RandomAvailableIpNum": 8,
}
ALL = ["10.0.2.%d" % n for n in range(2, 15)]


@pytest.mark.parametrize(
    "item, state",
    [
        ({"State": "attaching", "InstanceId": "i-1"}, "attaching"),
        ({"State": "Detaching"}, "detaching"),
        ({"State": "inuse", "InstanceId": "i-1"}, "in-use"),
        ({"State": "available"}, "available"),
        ({}, "available"),
        ({"State": "BINDING", "InstanceId": "i-1"}, "attaching"),
    ],
)
def test_the_apis_state_words_become_the_collections_four(item, state):
    assert eni_state(item) == state


def test_an_eni_item_becomes_a_snapshot_with_its_secondary_ips_groups_and_creation_time():
    item = {
        "NetworkInterfaceId": "e-1",
        "NetworkInterfaceName": "n",
        "SubnetId": "s-1",
        "AvailabilityZoneName": "z",
        "InstanceId": "",
        "PrivateIpAddress": "10.0.2.5",
        "AssignedPrivateIpAddressSet": [{"PrivateIpAddress": "10.0.2.6"}, {}],
        "SecurityGroupSet": [{"SecurityGroupId": "sg-1"}],
        "CreateTime": "2026-11-26 10:00:00",
        "NetworkInterfaceType": "primary",
    }
    eni = eni_snapshot(item)
    assert (eni.instance_id, eni.secondary_ips, eni.security_group_ids, eni.is_primary) == (
        None,
        ("10.0.2.6",),
        ("sg-1",),
        True,
    )
    assert eni.view()["create_time"] == "2026-11-26T10:00:00Z" and eni.view()["type"] == "primary"


def test_the_dhcp_range_leaves_out_the_gateway_and_falls_back_to_the_cidrs_hosts():
    assert dhcp_range(SUBNET) == ALL
    assert dhcp_range({"CidrBlock": "10.0.2.0/29"}) == ["10.0.2.%d" % n for n in range(2, 7)]


def test_reserved_ips_are_the_range_minus_available_and_allocated_plus_allocated_ips_no_eni_holds():
    available = [ip for ip in ALL if ip not in ("10.0.2.3", "10.0.2.4", "10.0.2.9", "10.0.2.10")]
    subnet = subnet_snapshot(SUBNET, available, ["10.0.2.3", "10.0.2.4", "10.0.2.9"], held=["10.0.2.3", "10.0.2.4"])
    assert subnet.reservations_known and subnet.reserved_ips == {"10.0.2.9", "10.0.2.10"}
    assert subnet.counted_reserved_free == 1 and subnet.first_ip == "10.0.2.2"


def test_when_the_api_counts_more_reservations_than_the_lists_show_they_are_unknown_and_left_to_the_records():
    listed_as_available = [ip for ip in ALL if ip not in ("10.0.2.3", "10.0.2.4")]
    subnet = subnet_snapshot(SUBNET, listed_as_available, ["10.0.2.3", "10.0.2.4"], held=["10.0.2.3", "10.0.2.4"])
    assert not subnet.reservations_known and subnet.reserved_ips == frozenset()


def test_reservations_are_unknown_when_the_behaviour_says_the_lists_cannot_show_them_or_they_were_not_read():
    said = subnet_snapshot(SUBNET, ALL, [], behaviour=CloudBehaviour(available_excludes_reserved=False))
    unread = subnet_snapshot(SUBNET)
    assert not said.reservations_known and not unread.reservations_known and unread.available_ips == ()


def test_an_eip_is_read_with_its_name_tag_and_only_an_associated_one_has_a_target():
    from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import address_snapshot

    item = {
        "AllocationId": "eip-1",
        "PublicIp": "198.51.100.7",
        "State": "associate",
        "NetworkInterfaceId": "eni-1",
        "InstanceId": "i-47",
        "PrivateIpAddress": "10.0.0.236",
        "BandWidth": "5",
        "ProjectId": 0,
        "CreateTime": "2026-11-29 10:00:00",
        "TagSet": [{"TagKey": "other", "TagValue": "x"}, {"TagKey": "ksyun-kce-name", "TagValue": "web-0"}],
    }
    eip = address_snapshot(item)
    assert (eip.name, eip.band_width, eip.project_id, eip.create_time.year) == ("web-0", 5, "0", 2026)
    assert eip.bound_to("eni-1", "10.0.0.236")
    free = address_snapshot(dict(item, State="disassociate", TagSet=None))
    assert not free.associated and free.eni_id == "" and free.private_ip == "" and free.name == ""
