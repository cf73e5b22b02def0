"""Network interfaces (ENIs): create, describe, rename, delete, and the subnet address rules."""

import re

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, is_in_use, is_not_found

pytestmark = pytest.mark.emulator

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _count_enis(admin):
    return len(admin.state()["network_interfaces"])


def test_a_new_network_interface_is_detached_in_its_subnet_with_a_uuid_and_a_mac(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], name="sts-0")
    eni = client.get_network_interface(eni_id)
    assert UUID.match(eni_id)
    assert eni["NetworkInterfaceType"] == "extension"
    assert (
        eni["SubnetId"] == ids.subnet_6a and eni["VpcId"] == ids.vpc and eni["AvailabilityZoneName"] == "cn-beijing-6a"
    )
    assert eni["NetworkInterfaceName"] == "sts-0"
    assert eni["State"] == "available" and "InstanceId" not in eni
    assert re.match(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", eni["MacAddress"])
    assert eni["PrivateIpAddress"].startswith("10.0.0.")
    assert "AssignedPrivateIpAddressSet" not in eni, "the real API omits the set when there are no secondary IPs"


def test_every_network_interface_gets_its_own_mac_address(client, ids):
    macs = {
        client.get_network_interface(client.create_network_interface(ids.subnet_6a, [ids.sg]))["MacAddress"]
        for _n in range(5)
    }
    primary = {
        e["MacAddress"] for e in client.describe_network_interfaces(filters={"networkInterface-type": "primary"})
    }
    assert len(macs) == 5 and not macs & primary


def test_a_network_interface_can_be_created_with_a_chosen_ip(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.236")
    assert client.get_network_interface(eni_id)["PrivateIpAddress"] == "10.0.0.236"


def test_an_ip_outside_the_subnet_is_refused_and_nothing_is_created(client, admin, ids):
    before = _count_enis(admin)
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.1.5")
    assert err.value.code == "InvalidParameterValue" and err.value.status == 400
    assert "10.0.1.5" in str(err.value) and "10.0.0.0/24" in str(err.value)
    assert _count_enis(admin) == before


@pytest.mark.parametrize(
    "address",
    ["10.0.0.0", "10.0.0.1", "10.0.0.255", "10.0.0.2", "10.0.0.3"],
    ids=["network", "gateway", "broadcast", "platform-reserved-2", "platform-reserved-3"],
)
def test_gateway_network_broadcast_and_platform_reserved_addresses_are_refused(client, ids, address):
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip=address)
    assert err.value.code == "InvalidParameterValue"
    assert address in err.value.message


def test_an_ip_already_in_use_is_refused(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.47")
    assert err.value.code == "PrivateIpAddressInUse" and err.value.status == 409
    assert is_in_use(err.value)
    assert ids.eni_47 in err.value.message


def test_a_subnet_that_is_not_normal_is_refused(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_reserve, [ids.sg])
    assert err.value.code == "InvalidParameterValue" and "Normal" in err.value.message


def test_unknown_subnet_and_security_group_are_not_found(client, ids):
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(KsyunApiError) as subnet_err:
        client.create_network_interface(missing, [ids.sg])
    with pytest.raises(KsyunApiError) as sg_err:
        client.create_network_interface(ids.subnet_6a, [missing])
    assert (subnet_err.value.code, subnet_err.value.status) == ("InvalidSubnetId.NotFound", 404)
    assert (sg_err.value.code, sg_err.value.status) == ("InvalidSecurityGroupId.NotFound", 404)
    assert is_not_found(subnet_err.value) and is_not_found(sg_err.value)


def test_a_network_interface_is_renamed(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], name="old")
    client.modify_network_interface(eni_id, "new-name")
    assert client.get_network_interface(eni_id)["NetworkInterfaceName"] == "new-name"


def test_a_deleted_network_interface_is_gone_and_deleting_it_again_is_not_found(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.delete_network_interface(eni_id)
    assert client.get_network_interface(eni_id) is None
    with pytest.raises(KsyunApiError) as err:
        client.delete_network_interface(eni_id)
    assert (
        err.value.code == "InvalidNetworkInterfaceId.NotFound" and err.value.status == 404 and is_not_found(err.value)
    )


def test_an_attached_network_interface_cannot_be_deleted_until_detached(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    with pytest.raises(KsyunApiError) as err:
        client.delete_network_interface(eni_id)
    assert err.value.code == "NetworkInterfaceInUse" and is_in_use(err.value)
    assert client.get_network_interface(eni_id) is not None
    client.detach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, None)
    client.delete_network_interface(eni_id)
    assert client.get_network_interface(eni_id) is None


def test_a_primary_network_interface_cannot_be_deleted_or_detached(client, ids):
    for call in (
        lambda: client.delete_network_interface(ids.eni_47),
        lambda: client.detach_network_interface(ids.node_47, ids.eni_47),
    ):
        with pytest.raises(KsyunApiError) as err:
            call()
        assert err.value.code == "OperationDenied.PrimaryNetworkInterface"


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("vpc-id", "5f2c7a10-0001-4a6e-9c1b-000000000001", 5),
        ("subnet-id", "5f2c7a10-0002-4a6e-9c1b-000000000002", 1),
        ("securitygroup-id", "5f2c7a10-0003-4a6e-9c1b-000000000001", 5),
        ("instance-id", "5f2c7a10-0004-4a6e-9c1b-000000000048", 1),
        ("private-ip-address", "10.0.1.20", 1),
        ("availability-zone-name", "cn-beijing-6a", 4),
        ("networkInterface-type", "primary", 5),
        ("instance-type", "kec", 5),
    ],
)
def test_network_interfaces_are_found_by_each_documented_filter(client, name, value, expected):
    found = client.describe_network_interfaces(filters={name: value})
    assert len(found) == expected


def test_filters_combine_and_values_within_one_filter_are_alternatives(client, ids):
    both_zones = client.describe_network_interfaces(
        filters={"availability-zone-name": ["cn-beijing-6a", "cn-beijing-6b"]}
    )
    narrowed = client.describe_network_interfaces(
        filters={"availability-zone-name": "cn-beijing-6a", "instance-id": ids.node_48}
    )
    assert len(both_zones) == 5
    assert [e["NetworkInterfaceId"] for e in narrowed] == ["5f2c7a10-0005-4a6e-9c1b-000000000048"]


def test_an_unknown_filter_name_is_refused_naming_it(client):
    with pytest.raises(KsyunApiError) as err:
        client.describe_network_interfaces(filters={"network-interface-id": "x"})
    assert err.value.code == "InvalidParameterValue" and "network-interface-id" in err.value.message


def test_network_interfaces_are_described_by_id(client, ids):
    found = client.describe_network_interfaces(network_interface_ids=[ids.eni_47, ids.eni_tiny])
    assert sorted(e["NetworkInterfaceId"] for e in found) == sorted([ids.eni_47, ids.eni_tiny])


def test_network_interfaces_are_listed_across_pages(client, emulator, ids):
    created = {client.create_network_interface(ids.subnet_6a, [ids.sg]) for _n in range(5)}
    emulator.counters.reset()
    found = client.describe_network_interfaces(page_size=2)
    assert len(found) == 10 and created <= {e["NetworkInterfaceId"] for e in found}
    assert len({e["NetworkInterfaceId"] for e in found}) == 10, "no item may appear on two pages"
    assert emulator.counters.as_dict()["reads"]["DescribeNetworkInterfaces"] == 5


def test_describing_an_unknown_network_interface_finds_nothing(client):
    assert client.get_network_interface("00000000-0000-4000-8000-000000000000") is None
