"""KEC instances: attaching and detaching ENIs, the transient state, zone rules, ENI quotas, paging."""

import copy
import time

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    KsyunApiError,
    is_not_found,
    is_quota_exceeded,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader

pytestmark = pytest.mark.emulator

MISSING = "00000000-0000-4000-8000-000000000000"


def _nics(instance):
    return {n["NetworkInterfaceId"]: n for n in instance["NetworkInterfaceSet"]}


def test_every_instance_has_its_primary_eni_with_its_primary_ip(client, ids):
    for instance in client.describe_instances():
        primary = [n for n in instance["NetworkInterfaceSet"] if n["NetworkInterfaceType"] == "primary"]
        assert len(primary) == 1
        assert primary[0]["PrivateIpAddress"] == instance["PrivateIpAddress"]
        assert primary[0]["SubnetId"] == instance["SubnetId"]
    node = client.get_instance(ids.node_47)
    assert node["PrivateIpAddress"] == "10.0.0.47" and node["InstanceType"] == "N3.2B"
    assert node["AvailabilityZoneName"] == "cn-beijing-6a" and node["InstanceState"]["Name"] == "active"


@pytest.mark.emulator_settings(transition_seconds=0.3)
def test_an_eni_attaches_through_a_transient_state_seen_on_the_eni_and_the_instance(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, eni_id)
    during = client.get_network_interface(eni_id)
    node = client.get_instance(ids.node_47)
    assert during["State"] == "attaching" and during["InstanceId"] == ids.node_47
    assert node["InstanceState"]["Name"] == "updating" and eni_id in _nics(node)
    settled = wait_attached(eni_id, ids.node_47)
    assert settled["State"] == "inuse" and settled["InstanceType"] == "kec"
    assert client.get_instance(ids.node_47)["InstanceState"]["Name"] == "active"


@pytest.mark.emulator_settings(transition_seconds=0.3)
def test_an_eni_detaches_through_a_transient_state_and_keeps_its_ip(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.0.236")
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    client.detach_network_interface(ids.node_47, eni_id)
    during = client.get_network_interface(eni_id)
    assert during["State"] == "detaching" and during["InstanceId"] == ids.node_47
    assert client.get_instance(ids.node_47)["InstanceState"]["Name"] == "updating"
    settled = wait_attached(eni_id, None)
    assert settled["State"] == "available" and "InstanceId" not in settled
    assert settled["PrivateIpAddress"] == "10.0.0.236"
    assert eni_id not in _nics(client.get_instance(ids.node_47))


@pytest.mark.emulator_settings(transition_seconds=0.3)
def test_an_instance_busy_with_one_attach_refuses_another_until_it_is_active(client, ids, wait_attached):
    first = client.create_network_interface(ids.subnet_6a, [ids.sg])
    second = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, first)
    with pytest.raises(KsyunApiError) as busy:
        client.attach_network_interface(ids.node_47, second)
    with pytest.raises(KsyunApiError) as moving:
        client.detach_network_interface(ids.node_47, first)
    assert busy.value.code == "IncorrectInstanceState" and moving.value.code == "IncorrectNetworkInterfaceState"
    wait_attached(first, ids.node_47)
    client.attach_network_interface(ids.node_47, second)
    assert wait_attached(second, ids.node_47)["State"] == "inuse"


@pytest.mark.emulator_settings(transition_seconds=0.3, instance_busy_during_transition=False)
def test_parallel_changes_on_one_instance_can_be_switched_on(client, ids):
    first = client.create_network_interface(ids.subnet_6a, [ids.sg])
    second = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, first)
    client.attach_network_interface(ids.node_47, second)
    assert {first, second} <= set(_nics(client.get_instance(ids.node_47)))


def test_the_eni_quota_counts_the_primary_eni_by_default(client, ids, wait_attached):
    extra = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_tiny, extra)
    wait_attached(extra, ids.node_tiny)
    refused = client.create_network_interface(ids.subnet_6a, [ids.sg])
    with pytest.raises(KsyunApiError) as err:
        client.attach_network_interface(ids.node_tiny, refused)
    assert err.value.code == "QuotaExceeded.NetworkInterface" and is_quota_exceeded(err.value)
    assert "2 of 2" in err.value.message
    assert "InstanceId" not in client.get_network_interface(refused)


@pytest.mark.emulator_settings(eni_quota_counts_primary=False)
def test_the_eni_quota_can_be_switched_to_leave_the_primary_eni_out(client, ids, wait_attached):
    enis = [client.create_network_interface(ids.subnet_6a, [ids.sg]) for _n in range(3)]
    for eni_id in enis[:2]:
        client.attach_network_interface(ids.node_tiny, eni_id)
        wait_attached(eni_id, ids.node_tiny)
    with pytest.raises(KsyunApiError) as err:
        client.attach_network_interface(ids.node_tiny, enis[2])
    assert err.value.code == "QuotaExceeded.NetworkInterface"


def test_an_eni_cannot_be_attached_to_an_instance_in_another_zone(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6b, [ids.sg])
    with pytest.raises(KsyunApiError) as err:
        client.attach_network_interface(ids.node_47, eni_id)
    assert err.value.code == "AvailabilityZoneMismatch"
    assert "cn-beijing-6b" in err.value.message and "cn-beijing-6a" in err.value.message


def test_an_eni_in_the_second_zone_attaches_to_the_node_there(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6b, [ids.sg])
    client.attach_network_interface(ids.node_6b, eni_id)
    assert wait_attached(eni_id, ids.node_6b)["AvailabilityZoneName"] == "cn-beijing-6b"


def test_an_eni_attached_to_one_instance_cannot_be_attached_to_another(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    with pytest.raises(KsyunApiError) as err:
        client.attach_network_interface(ids.node_48, eni_id)
    assert err.value.code == "NetworkInterfaceInUse" and ids.node_47 in err.value.message


def test_detaching_from_the_wrong_instance_is_refused(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.attach_network_interface(ids.node_47, eni_id)
    wait_attached(eni_id, ids.node_47)
    with pytest.raises(KsyunApiError) as err:
        client.detach_network_interface(ids.node_48, eni_id)
    assert err.value.code == "IncorrectNetworkInterfaceState"


def test_unknown_instances_and_enis_are_not_found_on_attach(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    with pytest.raises(KsyunApiError) as no_instance:
        client.attach_network_interface(MISSING, eni_id)
    with pytest.raises(KsyunApiError) as no_eni:
        client.attach_network_interface(ids.node_47, MISSING)
    assert (no_instance.value.code, no_instance.value.status) == ("InvalidInstanceId.NotFound", 404)
    assert (no_eni.value.code, no_eni.value.status) == ("InvalidNetworkInterfaceId.NotFound", 404)
    assert is_not_found(no_instance.value) and is_not_found(no_eni.value)
    assert client.get_instance(MISSING) is None


def test_an_eni_can_be_created_and_attached_in_one_call(client, ids, wait_attached):
    params = {
        "InstanceId": ids.node_48,
        "SubnetId": ids.subnet_6a,
        "SecurityGroupId": {"1": ids.sg},
        "PrivateIpAddress": "10.0.0.200",
    }
    client.call("kec", "AttachNetworkInterface", params, "create and attach")
    eni = client.describe_network_interfaces(filters={"private-ip-address": "10.0.0.200"})[0]
    assert wait_attached(eni["NetworkInterfaceId"], ids.node_48)["NetworkInterfaceType"] == "extension"
    with pytest.raises(KsyunApiError) as err:
        client.call(
            "kec",
            "AttachNetworkInterface",
            dict(params, NetworkInterfaceId=eni["NetworkInterfaceId"]),
            "mix both modes",
        )
    assert err.value.code == "InvalidParameterValue"


def test_instances_are_found_by_filters(client, ids):
    assert [i["InstanceId"] for i in client.describe_instances(filters={"private-ip-address": "10.0.0.48"})] == [
        ids.node_48
    ]
    assert len(client.describe_instances(filters={"availability-zone-name": "cn-beijing-6a"})) == 4
    assert [
        i["InstanceId"]
        for i in client.describe_instances(filters={"network-interface.network-interface-id": ids.eni_tiny})
    ] == [ids.node_tiny]


def test_instances_are_listed_across_pages_with_marker_and_instance_count(start_emulator, make_client, topology):
    many = copy.deepcopy(topology)
    for n in range(12):
        many["instances"].append(
            {
                "id": "5f2c7a10-0004-4a6e-9c1b-0000000005%02d" % n,
                "name": "extra-%d" % n,
                "type": "N3.2B",
                "zone": "cn-beijing-6a",
                "subnet": "5f2c7a10-0002-4a6e-9c1b-000000000001",
                "primary_ip": "10.0.0.%d" % (100 + n),
                "primary_eni_id": "5f2c7a10-0005-4a6e-9c1b-0000000005%02d" % n,
            }
        )
    emu = start_emulator(many)
    found = make_client(emu).describe_instances(page_size=5)
    assert len(found) == 17 and len({i["InstanceId"] for i in found}) == 17
    assert emu.counters.as_dict()["reads"]["DescribeInstances"] == 4


def test_instances_outside_the_default_project_need_their_project_id(start_emulator, make_client, topology):
    topology["instances"][0]["project_id"] = 7
    client = make_client(start_emulator(topology))
    assert len(client.describe_instances()) == 4
    assert len(client.describe_instances(project_ids=[0, 7])) == 5


def test_instance_type_quotas_are_read_by_the_read_model_in_one_call(client):
    quotas = CloudReader(client).quotas(["N3.2B", "N3.1A", "X9.9Z"])
    assert quotas == {"N3.2B": (4, 10), "N3.1A": (2, 3)}
    assert client.call_log.calls().get("DescribeInstanceTypeConfigs") == 1


def test_instance_type_filters_are_accepted_with_and_without_the_name_index(client):
    plain = client.call(
        "kec",
        "DescribeInstanceTypeConfigs",
        {"Filter": {"1": {"Name": "instance-family", "Value": {"1": "N3"}}}},
        "plain",
    )
    indexed = client.describe_instance_type_configs(filters={"instance-family": "N3"})
    assert len(plain["InstanceTypeConfigSet"]) == len(indexed) == 2


@pytest.mark.emulator_settings(transition_seconds=0.3)
def test_the_transition_time_is_respected(client, ids, wait_attached):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    started = time.monotonic()
    client.attach_network_interface(ids.node_48, eni_id)
    wait_attached(eni_id, ids.node_48)
    assert 0.25 <= time.monotonic() - started < 3
