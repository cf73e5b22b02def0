"""eni_info, subnet_info and instance_info; the module_defaults group; retries and readable API errors."""

import pytest
from kce_cloud import (
    ACCESS_KEY_ID,
    ENI_47,
    ENI_48,
    NODE_6B,
    NODE_47,
    NODE_48,
    NODE_TINY,
    REGION,
    SECRET_ACCESS_KEY,
    SG,
    SUBNET_6A,
    VPC,
    emulator_task,
    task,
)

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

pytestmark = pytest.mark.emulator


@pytest.fixture
def client(emu):
    """The collection's client, to arrange cloud state quickly before a playbook runs."""
    return KsyunClient(
        ACCESS_KEY_ID,
        SECRET_ACCESS_KEY,
        REGION,
        endpoint=emu.endpoint,
        scheme="http",
        retry=RetryPolicy(attempts=2, base_delay=0.001),
    )


def test_eni_info_finds_the_eni_holding_a_secondary_ip_reading_every_page_once(play, client):
    client.assign_private_ips(ENI_48, ["10.0.0.236"])
    for index in range(120):
        client.create_network_interface(
            SUBNET_6A, [SG], name=("kcefip_prod_sh_%d_n1" if index < 3 else "other-%d") % index
        )
    steps = play(
        [
            task("by secondary ip", "eni_info", {"private_ip_address": "10.0.0.236"}),
            task("by name prefix in a subnet", "eni_info", {"subnet_id": SUBNET_6A, "name_prefix": "kcefip_prod_"}),
            task("by instance", "eni_info", {"instance_id": NODE_47}),
            task("by ids in check mode", "eni_info", {"ids": [ENI_47, ENI_48]}, check=True),
            task("by malformed ip", "eni_info", {"private_ip_address": "10.0.0.256"}),
        ]
    )
    by_ip = steps["by secondary ip"]
    assert [e["id"] for e in by_ip.result["network_interfaces"]] == [ENI_48]
    assert by_ip.result["network_interfaces"][0]["secondary_private_ip_addresses"] == ["10.0.0.236"]
    # 125 ENIs in pages of 1000 (the read model's page size): one call of one paged describe, nothing per ENI.
    assert by_ip.reads == {"DescribeNetworkInterfaces": 1} and by_ip.total_writes == 0
    named = steps["by name prefix in a subnet"].result["network_interfaces"]
    assert sorted(e["name"] for e in named) == ["kcefip_prod_sh_0_n1", "kcefip_prod_sh_1_n1", "kcefip_prod_sh_2_n1"]
    assert [e["id"] for e in steps["by instance"].result["network_interfaces"]] == [ENI_47]
    by_ids = steps["by ids in check mode"]
    assert [e["id"] for e in by_ids.result["network_interfaces"]] == sorted([ENI_47, ENI_48]) and not by_ids.changed
    bad = steps["by malformed ip"]
    assert bad.failed and "10.0.0.256" in bad.msg and bad.reads == {}


def test_subnet_info_lists_available_allocated_and_reserved_addresses(play, client):
    client.reserve_private_ip(SUBNET_6A, "10.0.0.240")
    client.reserve_private_ip(SUBNET_6A, "10.0.0.241")
    client.assign_private_ips(ENI_47, ["10.0.0.236"])
    steps = play(
        [
            task("container subnet", "subnet_info", {"subnet_ids": [SUBNET_6A]}),
            task("counts of the vpc", "subnet_info", {"vpc_id": VPC, "include_addresses": False}),
        ]
    )
    subnet = steps["container subnet"].result["subnets"][0]
    assert subnet["reserved_addresses"] == ["10.0.0.240", "10.0.0.241"] and subnet["reserved_addresses_complete"]
    assert subnet["reserved_free_ip_count"] == 2
    assert {"10.0.0.47", "10.0.0.236"} <= set(subnet["allocated_addresses"])
    assert not {"10.0.0.236", "10.0.0.240", "10.0.0.47"} & set(subnet["available_addresses"])
    assert subnet["random_available_ip_count"] == len(subnet["available_addresses"])
    assert steps["container subnet"].reads == {
        "DescribeSubnets": 1,
        "DescribeNetworkInterfaces": 1,
        "DescribeSubnetAvailableAddresses": 1,
        "DescribeSubnetAllocatedIpAddresses": 1,
    }
    counts = steps["counts of the vpc"]
    assert len(counts.result["subnets"]) == 4 and "available_addresses" not in counts.result["subnets"][0]
    assert counts.reads == {"DescribeSubnets": 1}


def test_subnet_info_says_so_when_the_api_lists_reserved_addresses_as_available(play, emu, client):
    emu.settings.update({"available_addresses_include_specific": True})
    client.reserve_private_ip(SUBNET_6A, "10.0.0.240")
    steps = play([task("container subnet", "subnet_info", {"subnet_ids": [SUBNET_6A]})])
    result = steps["container subnet"].result
    assert (
        result["subnets"][0]["reserved_addresses_complete"] is False
        and result["subnets"][0]["reserved_free_ip_count"] == 1
    )
    assert any("reserved_addresses is incomplete" in w for w in result.get("warnings", []))


def test_instance_info_reports_enis_quotas_and_free_slots_with_one_call_for_all_instance_types(play, client):
    client.assign_private_ips(ENI_47, ["10.0.0.236"])
    extra = client.create_network_interface(SUBNET_6A, [SG], name="tiny-1")
    client.attach_network_interface(NODE_TINY, extra)
    client.wait_network_interface(extra, NODE_TINY, timeout=5, interval=0.02)
    steps = play(
        [
            task("three nodes", "instance_info", {"ids": [NODE_47, NODE_TINY, NODE_6B]}),
            task("nodes of zone 6b", "instance_info", {"availability_zone": "cn-beijing-6b", "project_ids": [0]}),
        ]
    )
    nodes = {i["id"]: i for i in steps["three nodes"].result["instances"]}
    assert (
        nodes[NODE_47]["quotas"] == {"network_interfaces": 4, "private_ips": 10}
        and nodes[NODE_47]["free_network_interface_slots"] == 3
    )
    assert (
        nodes[NODE_TINY]["quotas"] == {"network_interfaces": 2, "private_ips": 3}
        and nodes[NODE_TINY]["free_network_interface_slots"] == 0
    )
    assert nodes[NODE_47]["network_interfaces"][0]["secondary_private_ip_addresses"] == ["10.0.0.236"]
    assert [e["id"] for e in nodes[NODE_TINY]["network_interfaces"]][1:] == [extra]
    assert steps["three nodes"].reads == {
        "DescribeInstances": 1,
        "DescribeNetworkInterfaces": 1,
        "DescribeInstanceTypeConfigs": 1,
    }
    assert [i["id"] for i in steps["nodes of zone 6b"].result["instances"]] == [NODE_6B]


def test_module_defaults_for_the_ksyun_group_reach_every_module(play, emu):
    connection = {
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "region": REGION,
        "endpoint": emu.url,
    }
    no_env = {
        "KSYUN_ACCESS_KEY_ID": None,
        "KSYUN_SECRET_ACCESS_KEY": None,
        "KSYUN_REGION": None,
        "KSYUN_ENDPOINT": None,
    }
    steps = play(
        [
            task("eni", "eni", {"id": ENI_47, "name": "10.0.0.47-primary"}),
            task("eni_attachment", "eni_attachment", {"id": ENI_47, "instance_id": NODE_47}),
            task("eni_info", "eni_info", {"ids": [ENI_47]}),
            task("eni_private_ip", "eni_private_ip", {"id": ENI_47, "count": 0}),
            task("subnet_info", "subnet_info", {"ids": [SUBNET_6A], "include_addresses": False}),
            task("instance_info", "instance_info", {"ids": [NODE_48]}),
        ],
        module_defaults={"group/ksyun.kce.ksyun": connection},
        env=no_env,
    )
    for name, step in steps.items():
        assert not step.failed and not step.changed, step
        assert (
            step.result["invocation"]["module_args"]["secret_access_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
        ), name


def test_missing_credentials_name_the_option_and_the_variable(play):
    steps = play([task("no credentials", "eni_info", {})], env={"KSYUN_ACCESS_KEY_ID": None})
    step = steps["no credentials"]
    assert step.failed and "access_key_id" in step.msg and "KSYUN_ACCESS_KEY_ID" in step.msg and step.reads == {}


def test_throttling_is_retried_and_a_lasting_server_error_is_reported_with_its_code(play, emu):
    emu.faults.configure(
        {"fail_nth": [{"nth": 1, "times": 2, "mode": "throttle", "action": "DescribeNetworkInterfaces"}]}
    )
    steps = play(
        [
            task("throttled twice", "eni_info", {"ids": [ENI_47]}),
            emulator_task("every call fails from now", "faults", {"error_rate": 1.0}),
            task("server error", "eni_info", {"ids": [ENI_47], "max_attempts": 2}),
        ]
    )
    throttled = steps["throttled twice"]
    assert not throttled.failed and throttled.reads == {"DescribeNetworkInterfaces": 3}
    assert [e["id"] for e in throttled.result["network_interfaces"]] == [ENI_47]
    error = steps["server error"]
    assert error.failed and error.msg.startswith("Failed to describe network interfaces: INTERNAL_FAILURE")
    assert (
        "[gave up after 2 attempts]" in error.msg
        and error.result["code"] == "INTERNAL_FAILURE"
        and error.result["request_id"]
    )
    assert error.reads == {"DescribeNetworkInterfaces": 2}
