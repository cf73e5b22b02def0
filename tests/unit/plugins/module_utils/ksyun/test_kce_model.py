# -*- coding: utf-8 -*-
"""The KCE read model's pure part: DescribeCluster, kce2 DescribeClusters and DescribeClusterInstance items as one
ClusterSnapshot, the platform's words translated in one place; offset paging; no server."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import (
    PHASE_FAILED,
    PHASE_OTHER,
    PHASE_RUNNING,
    PHASE_UPDATING,
    VpcCniSettings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce import wire_bool
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import (
    DAEMON_MODES,
    cluster_node,
    cluster_phase,
    cluster_snapshot,
    vpc_cni_settings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.paging import collect_offset

CLUSTER = {
    "ClusterId": "c-1",
    "ClusterName": "sandbox",
    "ClusterManageMode": "ManagedCluster",
    "K8sVersion": "v1.27.7",
    "PodCidr": "172.16.0.0/16",
    "ServiceCidr": "10.254.0.0/16",
    "VpcId": "vpc-1",
    "VpcCidr": "10.0.0.0/16",
    "Status": "running",
    "NodeNum": 2,
    "NetworkType": "Flannel",
}
KCE2 = {
    "ClusterId": "c-1",
    "ClusterName": "sandbox",
    "Network": {
        "VpcCNI": {"Enable": True, "DaemonMode": "eniOnly", "SubnetIds": ["s-1", "s-2"], "SecurityGroup": "sg-1"}
    },
    "Status": {"Phase": "Running"},
}
NODE = {
    "InstanceId": "i-48",
    "NodeName": "10.0.0.48",
    "InstanceRole": "Worker",
    "InstanceStatus": "normal",
    "KecInstancePara": {
        "InstanceType": "N3.2B",
        "PrivateIpAddress": "10.0.0.48",
        "AvailabilityZone": "cn-beijing-6a",
        "SubnetId": "s-1",
        "VpcId": "vpc-1",
        "NetworkInterfaceSet": [
            {"NetworkInterfaceType": "extension", "SubnetId": "s-9", "SecurityGroupSet": [{"SecurityGroupId": "sg-9"}]},
            {"NetworkInterfaceType": "primary", "SubnetId": "s-1", "SecurityGroupSet": [{"SecurityGroupId": "sg-1"}]},
        ],
    },
}


def test_a_cluster_is_its_describe_cluster_item_with_the_kce2_view_and_its_nodes():
    other = dict(NODE, InstanceId="i-47", NodeName="10.0.0.47")
    cluster = cluster_snapshot(CLUSTER, KCE2, [NODE, other])
    assert (cluster.cluster_id, cluster.name, cluster.vpc_id, cluster.network_type, cluster.manage_mode) == (
        "c-1",
        "sandbox",
        "vpc-1",
        "Flannel",
        "ManagedCluster",
    )
    assert cluster.kubernetes_version == "v1.27.7" and cluster.status == "running" and cluster.node_count == 2
    assert cluster.vpc_cni == VpcCniSettings(True, Mode.EXCLUSIVE, ("s-1", "s-2"), "sg-1", "eniOnly")
    assert cluster.phase == PHASE_RUNNING and cluster.phase_text == "Running"
    assert [n.instance_id for n in cluster.nodes] == ["i-47", "i-48"] and cluster.node_zones == {"cn-beijing-6a"}


def test_a_cluster_the_kce2_api_does_not_list_has_unknown_vpc_cni_settings():
    assert cluster_snapshot(CLUSTER).vpc_cni is None


def test_a_node_shows_its_instance_zone_subnet_type_status_and_the_groups_of_its_nic_in_its_subnet():
    node = cluster_node(NODE)
    assert (node.instance_id, node.name, node.zone, node.subnet_id, node.instance_type, node.status) == (
        "i-48",
        "10.0.0.48",
        "cn-beijing-6a",
        "s-1",
        "N3.2B",
        "normal",
    )
    assert node.security_group_ids == ("sg-1",) and node.private_ip == "10.0.0.48" and node.role == "Worker"


@pytest.mark.parametrize(
    "vpc_cni, settings",
    [
        ({}, VpcCniSettings(False)),
        (
            {"Enable": "True", "DaemonMode": "eniMultiIP", "SubnetIds": ["s-1"], "SecurityGroup": "sg-1"},
            VpcCniSettings(True, Mode.SHARED, ("s-1",), "sg-1", "eniMultiIP"),
        ),
        ({"Enable": "false", "DaemonMode": "eniOnly"}, VpcCniSettings(False, Mode.EXCLUSIVE, (), "", "eniOnly")),
        ({"Enable": True, "DaemonMode": "eniTrunk"}, VpcCniSettings(True, None, (), "", "eniTrunk")),
        ({"Enable": True, "SubnetId": {"2": "s-2", "1": "s-1"}}, VpcCniSettings(True, None, ("s-1", "s-2"))),
    ],
)
def test_vpc_cni_settings_read_booleans_as_json_or_text_and_the_two_daemon_modes(vpc_cni, settings):
    assert vpc_cni_settings({"Network": {"VpcCNI": vpc_cni}}) == settings


def test_the_daemon_modes_are_the_sdks_words_for_shared_and_exclusive():
    assert DAEMON_MODES == {Mode.SHARED: "eniMultiIP", Mode.EXCLUSIVE: "eniOnly"}


@pytest.mark.parametrize(
    "text, phase",
    [("Running", PHASE_RUNNING), ("updating", PHASE_UPDATING), ("FAILED", PHASE_FAILED), ("Creating", PHASE_OTHER)],
)
def test_platform_phases_become_the_collections_words_and_unknown_ones_are_neither_done_nor_failed(text, phase):
    assert cluster_phase(text) == phase


def test_booleans_go_out_lower_case_which_both_readings_of_the_server_accept():
    assert (wire_bool(True), wire_bool(False)) == ("true", "false")


def test_offset_paging_advances_by_the_page_and_stops_at_the_total():
    rows = list(range(45))
    asked = []

    def fetch(marker, size):
        asked.append((marker, size))
        return {"Items": rows[marker : marker + size], "TotalCount": len(rows), "Marker": 0}

    assert collect_offset(fetch, "Items", "list", 20) == rows and asked == [(0, 20), (20, 20), (40, 20)]


def test_offset_paging_without_a_total_stops_at_a_short_page_even_when_the_server_caps_the_size():
    rows = list(range(25))

    def fetch(marker, size):
        return {"Items": rows[marker : marker + min(size, 10)], "MaxResults": 10}

    assert collect_offset(fetch, "Items", "list", 50) == rows


def test_offset_paging_refuses_a_total_that_is_no_number():
    with pytest.raises(KsyunApiError, match="TotalCount 'many'"):
        collect_offset(lambda marker, size: {"Items": [1], "TotalCount": "many"}, "Items", "list", 20)
