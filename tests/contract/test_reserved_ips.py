"""Reserved subnet IPs (AllocateStatus=specific): what shared fixed-IP mode relies on between pods."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, is_in_use

pytestmark = pytest.mark.emulator


def test_a_reserved_ip_is_never_handed_out_by_random_allocation(client, ids):
    reserved = "10.0.2.7"
    client.reserve_private_ip(ids.subnet_small, reserved)
    handed_out = []
    with pytest.raises(KsyunApiError) as err:
        for _n in range(20):
            eni_id = client.create_network_interface(ids.subnet_small, [ids.sg])
            handed_out.append(client.get_network_interface(eni_id)["PrivateIpAddress"])
    assert err.value.code == "InsufficientFreeAddressesInSubnet"
    assert len(handed_out) == 12, "13 usable addresses in a /28, one reserved"
    assert reserved not in handed_out


def test_a_reserved_ip_is_not_taken_by_count_based_assign(client, ids):
    client.reserve_private_ip(ids.subnet_small, "10.0.2.7")
    eni_id = client.create_network_interface(ids.subnet_small, [ids.sg], private_ip="10.0.2.2")
    eni = client.assign_private_ips(eni_id, count=9)
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(eni_id, count=3)
    assert "10.0.2.7" not in [i["PrivateIpAddress"] for i in eni["AssignedPrivateIpAddressSet"]]
    assert err.value.code == "InsufficientFreeAddressesInSubnet"


def test_a_reserved_ip_is_assigned_by_naming_it(client, ids):
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    eni = client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    assert eni["AssignedPrivateIpAddressSet"] == [{"PrivateIpAddress": "10.0.0.236"}]


@pytest.mark.emulator_settings(explicit_assign_takes_specific=False)
def test_naming_a_reserved_ip_can_be_switched_to_be_refused_until_the_reservation_is_released(client, ids):
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    assert err.value.code == "PrivateIpAddressReserved"
    client.release_private_ip_reservation(ids.subnet_6a, "10.0.0.236")
    assert (
        client.assign_private_ips(ids.eni_47, ["10.0.0.236"])["AssignedPrivateIpAddressSet"][0]["PrivateIpAddress"]
        == "10.0.0.236"
    )


def test_an_assigned_ip_cannot_be_marked_specific_by_default(client, ids):
    client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    with pytest.raises(KsyunApiError) as err:
        client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    assert err.value.code == "PrivateIpAddressInUse" and is_in_use(err.value)
    client.unassign_private_ips(ids.eni_47, ["10.0.0.236"])
    attr = client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    assert attr["AllocateStatus"] == "specific" and attr["PrivateIpAddressId"]


@pytest.mark.emulator_settings(allow_specific_on_assigned_ip=True)
def test_marking_an_assigned_ip_specific_can_be_switched_on_and_survives_the_unassign(client, ids):
    client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    client.unassign_private_ips(ids.eni_47, ["10.0.0.236"])
    assert "10.0.0.236" not in client.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)
    subnet = client.get_subnet(ids.subnet_6a)
    assert subnet["RandomAvailableIpNum"] == subnet["AvailableIpNumber"] - 1


def test_a_reserved_ip_is_not_listed_as_available_by_default(client, ids):
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    assert "10.0.0.236" not in client.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)


@pytest.mark.emulator_settings(available_addresses_include_specific=True)
def test_listing_reserved_ips_as_available_can_be_switched_on(client, ids):
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    assert "10.0.0.236" in client.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)


def test_releasing_a_reservation_returns_the_ip_to_random_allocation(client, ids):
    client.reserve_private_ip(ids.subnet_small, "10.0.2.7")
    attr = client.release_private_ip_reservation(ids.subnet_small, "10.0.2.7")
    assert attr["AllocateStatus"] == "random"
    handed_out = [
        client.get_network_interface(client.create_network_interface(ids.subnet_small, [ids.sg]))["PrivateIpAddress"]
        for _n in range(13)
    ]
    assert "10.0.2.7" in handed_out


def test_reserving_an_ip_outside_the_subnet_or_with_an_unknown_status_is_refused(client, ids):
    with pytest.raises(KsyunApiError) as outside:
        client.reserve_private_ip(ids.subnet_6a, "10.0.1.7")
    with pytest.raises(KsyunApiError) as status:
        client.modify_private_ip_attribute(ids.subnet_6a, "10.0.0.236", allocate_status="kept")
    assert outside.value.code == status.value.code == "InvalidParameterValue"
    assert "10.0.1.7" in outside.value.message and "kept" in status.value.message
