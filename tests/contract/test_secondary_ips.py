"""Secondary private IPs on an ENI (shared ENI mode): assign by count or by name, unassign, quotas."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    KsyunApiError,
    is_not_found,
    is_quota_exceeded,
)

pytestmark = pytest.mark.emulator


def _secondary(eni):
    return [item["PrivateIpAddress"] for item in eni.get("AssignedPrivateIpAddressSet", [])]


def test_secondary_ips_assigned_by_count_come_back_with_the_whole_network_interface(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    eni = client.assign_private_ips(eni_id, count=3)
    assert eni["NetworkInterfaceId"] == eni_id and eni["SubnetId"] == ids.subnet_6a
    assert len(set(_secondary(eni))) == 3 and eni["PrivateIpAddress"] not in _secondary(eni)
    assert _secondary(client.get_network_interface(eni_id)) == _secondary(eni)


def test_a_named_secondary_ip_is_assigned_as_asked(client, ids):
    eni = client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    assert _secondary(eni) == ["10.0.0.236"]
    assert "10.0.0.236" in client.describe_subnet_allocated_addresses(ids.subnet_6a)


def test_an_ip_in_use_cannot_be_assigned_a_second_time(client, ids):
    client.assign_private_ips(ids.eni_47, ["10.0.0.236"])
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips("5f2c7a10-0005-4a6e-9c1b-000000000048", ["10.0.0.236"])
    assert err.value.code == "PrivateIpAddressInUse" and "10.0.0.236" in err.value.message


def test_a_named_ip_outside_the_subnet_or_on_the_gateway_is_refused(client, ids):
    for address in ("10.0.1.9", "10.0.0.1"):
        with pytest.raises(KsyunApiError) as err:
            client.assign_private_ips(ids.eni_47, [address])
        assert err.value.code == "InvalidParameterValue" and address in err.value.message
    assert "AssignedPrivateIpAddressSet" not in client.get_network_interface(ids.eni_47)


def test_unassigned_ips_return_to_the_subnet(client, ids):
    eni = client.assign_private_ips(ids.eni_47, ["10.0.0.236", "10.0.0.237"])
    client.unassign_private_ips(ids.eni_47, ["10.0.0.236"])
    assert _secondary(client.get_network_interface(ids.eni_47)) == ["10.0.0.237"]
    assert "10.0.0.236" in client.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)
    assert len(_secondary(eni)) == 2


def test_unassigning_an_ip_the_eni_does_not_hold_is_not_found(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.unassign_private_ips(ids.eni_47, ["10.0.0.99"])
    assert err.value.status == 404 and is_not_found(err.value) and "10.0.0.99" in err.value.message


def test_the_primary_ip_cannot_be_unassigned(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.unassign_private_ips(ids.eni_47, ["10.0.0.47"])
    assert err.value.code == "InvalidParameterValue" and "primary" in err.value.message


def test_assigning_to_an_unknown_network_interface_is_not_found(client):
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips("00000000-0000-4000-8000-000000000000", count=1)
    assert err.value.code == "InvalidNetworkInterfaceId.NotFound"


def test_count_and_names_together_are_refused_by_the_client_and_by_the_api(client, ids):
    with pytest.raises(ValueError):
        client.assign_private_ips(ids.eni_47, ["10.0.0.236"], count=1)
    with pytest.raises(KsyunApiError) as err:
        client.call(
            "vpc",
            "AssignPrivateIpAddress",
            {
                "NetworkInterfaceId": ids.eni_47,
                "PrivateIpAddress": {"1": "10.0.0.236"},
                "SecondaryPrivateIpAddressCount": 1,
            },
            "assign both",
        )
    assert err.value.code == "InvalidParameterValue"


def test_the_ip_quota_is_per_eni_and_counts_the_primary_ip_by_default(client, ids):
    client.assign_private_ips(ids.eni_tiny, count=2)
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(ids.eni_tiny, count=1)
    assert err.value.code == "QuotaExceeded.PrivateIpAddress" and is_quota_exceeded(err.value)
    assert "N3.1A" in err.value.message and "allows 3" in err.value.message
    assert len(_secondary(client.get_network_interface(ids.eni_tiny))) == 2, "a refused assign changes nothing"


@pytest.mark.emulator_settings(ip_quota_counts_primary=False)
def test_the_ip_quota_can_be_switched_to_leave_the_primary_ip_out(client, ids):
    client.assign_private_ips(ids.eni_tiny, count=3)
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(ids.eni_tiny, ["10.0.0.240"])
    assert err.value.code == "QuotaExceeded.PrivateIpAddress"


@pytest.mark.emulator_settings(ip_quota_scope="instance")
def test_the_ip_quota_can_be_switched_to_count_all_enis_of_the_instance(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_tiny, eni_id)
    wait_attached(eni_id, ids.node_tiny)
    client.assign_private_ips(eni_id, count=1)
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(ids.eni_tiny, count=1)
    assert err.value.code == "QuotaExceeded.PrivateIpAddress" and "Instance " + ids.node_tiny in err.value.message


def test_attaching_an_eni_that_holds_more_ips_than_the_instance_type_allows_is_refused(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.assign_private_ips(eni_id, count=5)
    with pytest.raises(KsyunApiError) as err:
        client.attach_network_interface(ids.node_tiny, eni_id)
    assert err.value.code == "QuotaExceeded.PrivateIpAddress"
    assert "InstanceId" not in client.get_network_interface(eni_id)
