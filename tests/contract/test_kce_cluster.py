"""kce cluster discovery through the official SDK: DescribeCluster (2023-11-15 and 2019-08-06), DescribeClusterSummary,
DescribeClusterInstance, DescribeNetwork; the cluster comes from the topology, its nodes from the KEC/VPC state."""

import pytest
from kce_support import (
    CLUSTER,
    NODES,
    SECOND_CLUSTER,
    SG,
    SUBNET_6A,
    VPC,
    call,
    call_common,
    clients,
    common,
    kce_emulator,
    refused,
    sdk,
    start,
    two_clusters,
)

from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.topology import TopologyError

pytestmark = pytest.mark.emulator
_FIXTURES = (kce_emulator, sdk)  # pytest fixtures used by name below


def test_describe_cluster_2023_11_15_answers_the_topology_cluster_with_the_vpc_emulators_vpc(sdk):
    answer = call(sdk.v3, "DescribeCluster")
    assert (answer["TotalCount"], answer["Marker"], answer["MaxResults"]) == (1, 0, 20)
    assert answer["RequestId"]
    (cluster,) = answer["ClusterSet"]
    expected = {
        "ClusterId": CLUSTER,
        "ClusterName": "sandbox",
        "ClusterManageMode": "ManagedCluster",
        "K8sVersion": "v1.37.2",
        "NetworkType": "Flannel",
        "PodCidr": "172.16.0.0/16",
        "ServiceCidr": "10.254.0.0/16",
        "VpcId": VPC,
        "VpcCidr": "10.0.0.0/16",
        "Status": "running",
        "MaxPodPerNode": 128,
        "NodeNum": 5,
        "NormalNodeNum": 5,
    }
    assert {k: cluster[k] for k in expected} == expected
    for key in ("ClusterType", "ClusterDesc", "MasterEtcdSeparate", "OrderType", "EnableKMSE", "CreateTime"):
        assert key in cluster


def test_describe_cluster_at_2019_08_06_over_get_answers_the_same_record(kce_emulator, sdk):
    old = common(kce_emulator, "kce", "2019-08-06", reqMethod="GET")
    assert (
        call_common(old, "DescribeCluster", {"ClusterId": CLUSTER})["ClusterSet"]
        == call(sdk.v3, "DescribeCluster", ClusterId=CLUSTER)["ClusterSet"]
    )


@pytest.mark.emulator_settings(kce_unknown_cluster="empty")
def test_an_unknown_cluster_id_is_an_empty_set_by_default(sdk):
    answer = call(sdk.v3, "DescribeCluster", ClusterId="5f2c7a10-0006-4a6e-9c1b-0000000000ff")
    assert (answer["ClusterSet"], answer["TotalCount"]) == ([], 0)


@pytest.mark.emulator_settings(kce_unknown_cluster="error")
def test_an_unknown_cluster_id_is_a_not_found_error_on_the_other_side(kce_emulator, sdk):
    unknown = "5f2c7a10-0006-4a6e-9c1b-0000000000ff"
    err = refused(call, sdk.v3, "DescribeCluster", ClusterId=unknown)
    assert not err.http_200 and err.error_code == "InvalidClusterId.NotFound" and unknown in err.error_message
    old = common(kce_emulator, "kce", "2019-08-06", reqMethod="GET")
    assert (
        refused(call_common, old, "DescribeCluster", {"ClusterId": unknown}).error_code == "InvalidClusterId.NotFound"
    )


def test_cluster_paging_search_and_manage_mode_filter_over_two_clusters(start_emulator, topology):
    api = clients(start(start_emulator, two_clusters(topology)))
    first = call(api.v3, "DescribeCluster", MaxResults=1)
    second = call(api.v3, "DescribeCluster", MaxResults=1, Marker=first["Marker"])
    assert (first["Marker"], first["TotalCount"], second["Marker"], second["TotalCount"]) == (1, 2, 0, 2)
    assert [first["ClusterSet"][0]["ClusterId"], second["ClusterSet"][0]["ClusterId"]] == [CLUSTER, SECOND_CLUSTER]
    assert [c["ClusterId"] for c in call(api.v3, "DescribeCluster", Search="SEC")["ClusterSet"]] == [SECOND_CLUSTER]
    dedicated = call(api.v3, "DescribeCluster", Filter=[{"Name": "cluster-manage-mode", "Value": ["DedicatedCluster"]}])
    assert [c["ClusterId"] for c in dedicated["ClusterSet"]] == [SECOND_CLUSTER]
    assert refused(call, api.v3, "DescribeCluster", MaxResults=21).error_code == "InvalidParameterValue"
    summary = call(api.v1, "DescribeClusterSummary")["ClusterSet"]
    assert [(c["ClusterId"], c["NetworkType"], c["VpcCidr"]) for c in summary] == [
        (CLUSTER, "Flannel", "10.0.0.0/16"),
        (SECOND_CLUSTER, "Calico", "10.0.0.0/16"),
    ]
    nodes = {
        c: [n["InstanceId"] for n in call(api.v1, "DescribeClusterInstance", ClusterId=c)["InstanceSet"]]
        for c in (CLUSTER, SECOND_CLUSTER)
    }
    assert nodes == {CLUSTER: [n for n in NODES if n != NODES[3]], SECOND_CLUSTER: [NODES[3]]}


def test_a_node_in_two_clusters_is_refused_naming_it(topology):
    topology["kce"]["clusters"][0]["instances"] = NODES[:2]
    with pytest.raises(TopologyError, match=NODES[1]):
        Emulator(two_clusters(topology, second_nodes=NODES[1:3]))


@pytest.mark.parametrize("status, phase", [("not ready", "NotReady"), ("error", "Failed")])
def test_the_topology_sets_the_cluster_status_and_its_kce2_phase(start_emulator, topology, status, phase):
    topology["kce"]["clusters"][0]["status"] = status
    api = clients(start(start_emulator, topology))
    assert call(api.v3, "DescribeCluster")["ClusterSet"][0]["Status"] == status
    assert call(api.kce2, "DescribeClusters")["Data"]["ClusterSet"][0]["Status"]["Phase"] == phase


def test_a_topology_without_kce_has_no_cluster(start_emulator, topology):
    del topology["kce"]
    api = clients(start(start_emulator, topology))
    assert call(api.v3, "DescribeCluster")["ClusterSet"] == []
    assert refused(call, api.v1, "DescribeClusterInstance", ClusterId=CLUSTER).error_code == "InvalidClusterId.NotFound"


def test_nodes_carry_the_kec_instances_ids_ips_zones_subnets_types_and_groups(sdk):
    nodes = call(sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, MaxResults=50)["InstanceSet"]
    instances = {i["InstanceId"]: i for i in call(sdk.kec, "DescribeInstances", MaxResults=50)["InstancesSet"]}
    assert [n["InstanceId"] for n in nodes] == NODES
    for node in nodes:
        inst, para = instances[node["InstanceId"]], node["KecInstancePara"]
        assert (node["NodeName"], node["InstanceRole"], node["InstanceStatus"], node["Type"]) == (
            inst["PrivateIpAddress"],
            "Worker",
            "normal",
            "kec",
        )
        assert (para["PrivateIpAddress"], para["SubnetId"], para["VpcId"], para["AvailabilityZone"]) == (
            inst["PrivateIpAddress"],
            inst["SubnetId"],
            inst["VpcId"],
            inst["AvailabilityZone"],
        )
        assert para["InstanceType"] == inst["InstanceType"]
        assert para["InstanceConfigure"]["VCPU"] == inst["InstanceConfigure"]["VCPU"]
        primary = [nic for nic in para["NetworkInterfaceSet"] if nic["SubnetId"] == para["SubnetId"]][0]
        assert primary["SecurityGroupSet"] == [{"SecurityGroupId": SG}]
        assert [nic["NetworkInterfaceId"] for nic in para["NetworkInterfaceSet"]] == [
            nic["NetworkInterfaceId"] for nic in inst["NetworkInterfaceSet"]
        ]


def test_an_eni_attached_through_kec_shows_on_the_node_at_once(sdk):
    call(sdk.kec, "AttachNetworkInterface", InstanceId=NODES[0], SubnetId=SUBNET_6A, SecurityGroupId=[SG])
    node = call(
        sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, Filter=[{"Name": "instance-id", "Value": [NODES[0]]}]
    )["InstanceSet"][0]
    assert [nic["NetworkInterfaceType"] for nic in node["KecInstancePara"]["NetworkInterfaceSet"]] == [
        "primary",
        "extension",
    ]


def test_node_paging_ends_with_marker_0_and_counts_every_node(sdk):
    pages, marker = [], 0
    while True:
        page = call(sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, MaxResults=2, Marker=marker)
        pages.append(([n["InstanceId"] for n in page["InstanceSet"]], page["Marker"], page["TotalCount"]))
        marker = page["Marker"]
        if not marker:
            break
    assert pages == [(NODES[0:2], 2, 5), (NODES[2:4], 4, 5), (NODES[4:], 0, 5)]
    assert refused(call, sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, MaxResults=51).error_code == (
        "InvalidParameterValue"
    )


def test_node_filters_and_search(sdk):
    def ids(**kwargs):
        return [
            n["InstanceId"] for n in call(sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, **kwargs)["InstanceSet"]
        ]

    assert ids(Filter=[{"Name": "instance-ip", "Value": ["10.0.1.20", "10.0.0.48"]}]) == [NODES[1], NODES[3]]
    assert ids(Search="10.0.1.") == [NODES[3]]
    assert ids(Filter=[{"Name": "instance-status", "Value": ["abnormal"]}]) == []
    err = refused(call, sdk.v1, "DescribeClusterInstance", ClusterId=CLUSTER, Filter=[{"Name": "zone", "Value": ["x"]}])
    assert err.error_code == "InvalidParameterValue" and "zone" in err.error_message


@pytest.mark.emulator_settings(kce_request_id_quirks=True)
def test_describe_network_has_no_request_id_as_the_sdks_declare(sdk):
    answer = call(sdk.addons, "DescribeNetwork", ClusterName="sandbox")
    assert "RequestId" not in answer and answer["ClusterId"] == CLUSTER and answer["PublicAccess"] is True
    assert answer["PrivateSLB"]["Phase"] == "Running" and answer["EIP"]["EIPId"]


@pytest.mark.emulator_settings(kce_request_id_quirks=False)
def test_describe_network_has_a_request_id_on_the_other_side(sdk):
    assert call(sdk.addons, "DescribeNetwork", ClusterId=CLUSTER)["RequestId"]
