"""KEC ModifyNetworkInterfaceAttribute: security groups, subnet and primary IP of an attached ENI."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError

pytestmark = pytest.mark.emulator


@pytest.fixture
def attached(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.200")
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    return eni_id


def _groups(client, eni_id):
    return [g["SecurityGroupId"] for g in client.get_network_interface(eni_id)["SecurityGroupSet"]]


def test_the_security_groups_given_replace_the_old_ones(client, ids, attached):
    client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [ids.sg, ids.sg_pods])
    assert _groups(client, attached) == [ids.sg, ids.sg_pods]
    client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [ids.sg_pods])
    eni = client.get_network_interface(attached)
    assert _groups(client, attached) == [ids.sg_pods] and eni["PrivateIpAddress"] == "10.0.0.200"


def test_the_primary_ip_changes_when_named(client, ids, attached):
    client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [ids.sg], private_ip="10.0.0.201")
    assert client.get_network_interface(attached)["PrivateIpAddress"] == "10.0.0.201"
    assert "10.0.0.200" in client.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)


def test_a_detached_eni_or_another_instance_is_refused(client, ids, attached):
    detached = client.create_network_interface(ids.subnet_6a, [ids.sg])
    for instance, eni in ((ids.node_47, detached), (ids.node_48, attached)):
        with pytest.raises(KsyunApiError) as err:
            client.modify_network_interface_attribute(instance, eni, ids.subnet_6a, [ids.sg_pods])
        assert err.value.code == "IncorrectNetworkInterfaceState" and instance in err.value.message
    assert _groups(client, attached) == [ids.sg]


def test_groups_are_required_and_must_exist(client, ids, attached):
    with pytest.raises(KsyunApiError) as err:
        client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [])
    assert err.value.code == "MissingParameter" and "SecurityGroupId.1" in err.value.message
    with pytest.raises(KsyunApiError) as err:
        client.modify_network_interface_attribute(
            ids.node_47, attached, ids.subnet_6a, ["00000000-0000-4000-8000-000000000000"]
        )
    assert err.value.code == "InvalidSecurityGroupId.NotFound"


def test_the_primary_ip_of_an_eni_with_secondary_ips_or_into_another_zone_is_refused(client, ids, attached):
    client.assign_private_ips(attached, ["10.0.0.236"])
    with pytest.raises(KsyunApiError) as err:
        client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [ids.sg], "10.0.0.201")
    assert err.value.code == "InvalidParameterValue" and "10.0.0.236" in err.value.message
    with pytest.raises(KsyunApiError) as err:
        client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6b, [ids.sg])
    assert err.value.code == "InvalidParameterValue" and "cn-beijing-6a" in err.value.message
    assert client.get_network_interface(attached)["PrivateIpAddress"] == "10.0.0.200"


def test_an_eip_on_the_old_primary_ip_drops_with_it(client, ids, attached):
    allocation_id = client.allocate_address(band_width=1)["AllocationId"]
    client.associate_address(allocation_id, ids.node_47, attached)
    client.modify_network_interface_attribute(ids.node_47, attached, ids.subnet_6a, [ids.sg], "10.0.0.201")
    assert client.get_address(allocation_id)["State"] == "disassociate"
