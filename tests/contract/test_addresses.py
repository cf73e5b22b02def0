"""Elastic public IPs (EIP 2016-03-04) through the official SDK: allocate, describe, associate with an ENI's IP, release."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    KsyunApiError,
    is_in_use,
    is_not_found,
    is_quota_exceeded,
)

pytestmark = pytest.mark.emulator

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def shared_eni(client, ids, wait_attached):
    """An ENI attached to node 10.0.0.47 with the secondary IP 10.0.0.236 (a shared-mode pod's IP)."""
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.200")
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    client.assign_private_ips(eni_id, ["10.0.0.236"])
    return eni_id


def test_an_allocated_eip_is_described_by_id_with_its_public_ip_and_disassociated(client):
    made = client.allocate_address(band_width=5)
    eip = client.get_address(made["AllocationId"])
    assert eip["PublicIp"] == made["PublicIp"] and eip["PublicIp"].startswith("198.51.100.")
    assert eip["State"] == "disassociate" and eip["BandWidth"] == 5 and eip["ChargeType"] == "Daily"
    assert "NetworkInterfaceId" not in eip and "InstanceId" not in eip


def test_an_eip_associated_with_a_secondary_ip_shows_the_eni_instance_and_ip(client, ids, shared_eni):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47, shared_eni, "10.0.0.236")
    eip = client.get_address(allocation_id)
    assert eip["State"] == "associate" and eip["InstanceType"] == "Ipfwd"
    assert (eip["NetworkInterfaceId"], eip["InstanceId"], eip["PrivateIpAddress"]) == (
        shared_eni,
        ids.node_47,
        "10.0.0.236",
    )
    client.disassociate_address(allocation_id)
    assert client.get_address(allocation_id)["State"] == "disassociate"


def test_without_eni_and_ip_the_eip_goes_to_the_primary_ip_of_the_instance(client, ids):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47)
    eip = client.get_address(allocation_id)
    assert (eip["NetworkInterfaceId"], eip["PrivateIpAddress"]) == (ids.eni_47, "10.0.0.47")


def test_filters_state_and_paging(client, ids, shared_eni):
    made = [client.allocate_address(band_width=1) for _count in range(5)]
    client.associate_address(made[0]["AllocationId"], ids.node_47, shared_eni, "10.0.0.236")
    by_eni = client.describe_addresses(filters={"network-interface-id": shared_eni})
    assert [a["AllocationId"] for a in by_eni] == [made[0]["AllocationId"]]
    by_ip = client.describe_addresses(filters={"public-ip": [made[1]["PublicIp"], made[2]["PublicIp"]]})
    assert sorted(a["AllocationId"] for a in by_ip) == sorted(m["AllocationId"] for m in made[1:3])
    assert len(client.describe_addresses(state="disassociate")) == 4
    assert len(client.describe_addresses(page_size=2)) == 5
    first = client.call("eip", "DescribeAddresses", {"MaxResults": 2}, "describe")
    assert len(first["AddressesSet"]) == 2 and first["NextToken"] and first["TotalCount"] == 5


def test_an_unknown_filter_or_allocation_id(client):
    with pytest.raises(KsyunApiError) as err:
        client.describe_addresses(filters={"vpc-id": "x"})
    assert err.value.code == "InvalidParameterValue" and "network-interface-id" in err.value.message
    assert client.get_address(UNKNOWN) is None
    for call in (client.release_address, client.disassociate_address):
        with pytest.raises(KsyunApiError) as err:
            call(UNKNOWN)
        assert err.value.status == 404 and is_not_found(err.value) and UNKNOWN in err.value.message


def test_an_eip_bound_elsewhere_cannot_be_associated_again_nor_can_an_ip_carry_two(client, ids, shared_eni):
    first, second = (client.allocate_address(band_width=1)["AllocationId"] for _count in range(2))
    client.associate_address(first, ids.node_47, shared_eni, "10.0.0.236")
    with pytest.raises(KsyunApiError) as err:
        client.associate_address(first, ids.node_47, shared_eni, "10.0.0.200")
    assert err.value.code == "AddressInUse" and is_in_use(err.value) and first in err.value.message
    with pytest.raises(KsyunApiError) as err:
        client.associate_address(second, ids.node_47, shared_eni, "10.0.0.236")
    assert err.value.code == "AddressInUse" and "10.0.0.236" in err.value.message
    assert client.get_address(second)["State"] == "disassociate"


def test_an_ip_not_on_the_eni_or_an_eni_of_another_instance_is_refused(client, ids, shared_eni):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    with pytest.raises(KsyunApiError) as err:
        client.associate_address(allocation_id, ids.node_47, shared_eni, "10.0.0.237")
    assert err.value.code == "InvalidPrivateIpAddress.NotFound" and "10.0.0.237" in err.value.message
    with pytest.raises(KsyunApiError) as err:
        client.associate_address(allocation_id, ids.node_48, shared_eni, "10.0.0.236")
    assert err.value.code == "IncorrectNetworkInterfaceState" and ids.node_48 in err.value.message
    assert client.get_address(allocation_id)["State"] == "disassociate"


def test_disassociating_a_free_eip_is_refused(client):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    with pytest.raises(KsyunApiError) as err:
        client.disassociate_address(allocation_id)
    assert err.value.code == "IncorrectAddressState"


def test_an_associated_eip_is_not_released_by_default(client, ids):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47)
    with pytest.raises(KsyunApiError) as err:
        client.release_address(allocation_id)
    assert err.value.code == "AddressInUse" and ids.eni_47 in err.value.message
    client.disassociate_address(allocation_id)
    client.release_address(allocation_id)
    assert client.get_address(allocation_id) is None


@pytest.mark.emulator_settings(release_associated_address=True)
def test_with_the_setting_an_associated_eip_is_released(client, ids):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47)
    client.release_address(allocation_id)
    assert client.get_address(allocation_id) is None


def test_the_eip_quota(client, start_emulator, topology, make_client):
    topology["eip"] = {"quota": 2}
    small = make_client(start_emulator(topology))
    small.allocate_address(band_width=1)
    small.allocate_address(band_width=1)
    with pytest.raises(KsyunApiError) as err:
        small.allocate_address(band_width=1)
    assert err.value.code == "QuotaExceeded.Address" and is_quota_exceeded(err.value) and "2 of 2" in err.value.message


def test_bad_allocate_parameters(client):
    for params, name in (
        ({}, "BandWidth"),
        ({"BandWidth": 1, "ChargeType": "Hourly"}, "ChargeType"),
        ({"BandWidth": 1, "ChargeType": "Monthly"}, "PurchaseTime"),
        ({"BandWidth": 1, "LineId": UNKNOWN}, "LineId"),
    ):
        with pytest.raises(KsyunApiError) as err:
            client.call("eip", "AllocateAddress", params, "allocate")
        assert err.value.status == 400 and name in err.value.message
    assert client.describe_addresses() == []


def test_tags_come_back_with_is_contain_tag(client):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.tag_address(allocation_id, "kce-name", "shop-db-0")
    assert "TagSet" not in client.get_address(allocation_id)
    assert client.get_address(allocation_id, with_tags=True)["TagSet"] == [
        {"TagKey": "kce-name", "TagValue": "shop-db-0"}
    ]
    with pytest.raises(KsyunApiError) as err:
        client.tag_address(UNKNOWN, "kce-name", "x")
    assert err.value.status == 404


def test_eip_writes_and_reads_are_counted(client, admin):
    admin.reset_counters()
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.get_address(allocation_id)
    counters = admin.counters()
    assert counters["writes"]["AllocateAddress"] == 1 and counters["reads"]["DescribeAddresses"] == 1


def test_a_fault_on_allocate_is_answered_like_the_other_services(client, admin):
    admin.faults(fail_nth=[{"nth": 1, "action": "AllocateAddress", "mode": "error"}])
    made = client.allocate_address(band_width=1)
    assert client.get_address(made["AllocationId"]) is not None
    counters = admin.counters()
    assert counters["writes"]["AllocateAddress"] == 2 and counters["faults"]


def _move_ip(client, ids, wait_attached, shared_eni):
    """10.0.0.236 leaves shared_eni and lands on a new ENI attached to node 10.0.0.48 (a pod moved in shared mode)."""
    client.unassign_private_ips(shared_eni, ["10.0.0.236"])
    other = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.201")
    client.attach_network_interface(ids.node_48, other)
    wait_attached(other, ids.node_48)
    client.assign_private_ips(other, ["10.0.0.236"])
    return other


def test_by_default_an_association_drops_when_its_ip_leaves_the_eni(client, ids, wait_attached, shared_eni):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47, shared_eni, "10.0.0.236")
    _move_ip(client, ids, wait_attached, shared_eni)
    eip = client.get_address(allocation_id)
    assert eip["State"] == "disassociate" and "NetworkInterfaceId" not in eip


def test_by_default_detaching_or_deleting_the_eni_drops_the_association(client, ids, wait_attached, shared_eni):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47, shared_eni, "10.0.0.200")
    client.detach_network_interface(ids.node_47, shared_eni)
    assert client.get_address(allocation_id)["State"] == "disassociate"


@pytest.mark.emulator_settings(eip_follows_private_ip=True)
def test_with_the_setting_an_association_follows_its_ip_to_another_eni_and_node(client, ids, wait_attached, shared_eni):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47, shared_eni, "10.0.0.236")
    client.unassign_private_ips(shared_eni, ["10.0.0.236"])
    between = client.get_address(allocation_id)
    assert between["State"] == "associate" and "NetworkInterfaceId" not in between
    other = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.201")
    client.attach_network_interface(ids.node_48, other)
    wait_attached(other, ids.node_48)
    client.assign_private_ips(other, ["10.0.0.236"])
    eip = client.get_address(allocation_id)
    assert (eip["State"], eip["NetworkInterfaceId"], eip["InstanceId"], eip["PrivateIpAddress"]) == (
        "associate",
        other,
        ids.node_48,
        "10.0.0.236",
    )
