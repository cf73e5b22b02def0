"""kce2 2023-01-01 through the official SDK's Kce2Client: DescribeClusters (a JSON body), DescribeNodes, ModifyCluster
VpcCNI (validation with zero state change, call-driven settling, the platform's reconcile, persistence)."""

import threading
import time

import pytest
from kce_support import (
    CLUSTER,
    NODES,
    PY_SDK_LISTS,
    SECOND_CLUSTER,
    SG,
    SUBNET_6A,
    SUBNET_6B,
    SUBNET_RESERVE,
    call,
    clients,
    kce_emulator,
    kce_state,
    refused,
    sdk,
    start,
    two_clusters,
)

from sandbox.ksyun_emulator import Emulator

pytestmark = pytest.mark.emulator
_FIXTURES = (kce_emulator, sdk)  # pytest fixtures used by name below

ON = {"Enable": True, "DaemonMode": "eniMultiIP", "SubnetId": [SUBNET_6A, SUBNET_6B], "SecurityGroup": SG}
ON_ECHO = {"Enable": True, "DaemonMode": "eniMultiIP", "SubnetIds": [SUBNET_6A, SUBNET_6B], "SecurityGroup": SG}
OFF_ECHO = {"Enable": False, "DaemonMode": "", "SubnetIds": [], "SecurityGroup": ""}


def _cluster(api, cluster_id=CLUSTER):
    return call(api.kce2, "DescribeClusters", ClusterIds=[cluster_id])["Data"]["ClusterSet"][0]


def _phases(api, count):
    return [_cluster(api)["Status"]["Phase"] for _answer in range(count)]


def test_describe_clusters_answers_the_cluster_with_its_network(sdk):
    answer = call(sdk.kce2, "DescribeClusters")
    assert answer["RequestId"]
    data = answer["Data"]
    assert (data["TotalCount"], data["MaxResults"], data["Marker"]) == (1, 10, 0)
    cluster = data["ClusterSet"][0]
    assert (cluster["ClusterId"], cluster["ClusterName"], cluster["KubernetesVersion"]) == (
        CLUSTER,
        "sandbox",
        "v1.37.2",
    )
    assert cluster["ClusterManageMode"] == "MANAGED_CLUSTER"
    network = cluster["Network"]
    assert (network["PodCidr"], network["ServiceCidr"], network["MaxPodPerNode"]) == (
        "172.16.0.0/16",
        "10.254.0.0/16",
        128,
    )
    assert network["VpcCNI"] == OFF_ECHO
    assert (
        network["ApiServer"]["PublicApiServerEnable"] is True and network["ApiServer"]["ReserveSubnetId"] == SUBNET_6A
    )
    assert cluster["Status"] == {"Phase": "Running", "Message": ""}
    assert sorted(a["Name"] for a in cluster["Addons"]) == ["coredns", "kube-proxy"]


def test_describe_clusters_pages_and_names_ids(start_emulator, topology):
    api = clients(start(start_emulator, two_clusters(topology)))
    first = call(api.kce2, "DescribeClusters", MaxResults=1)["Data"]
    second = call(api.kce2, "DescribeClusters", MaxResults=1, Marker=first["Marker"])["Data"]
    assert (first["Marker"], second["Marker"], first["TotalCount"], second["TotalCount"]) == (1, 0, 2, 2)
    assert [first["ClusterSet"][0]["ClusterId"], second["ClusterSet"][0]["ClusterId"]] == [CLUSTER, SECOND_CLUSTER]
    only = call(api.kce2, "DescribeClusters", ClusterIds=[SECOND_CLUSTER])["Data"]
    assert [c["ClusterId"] for c in only["ClusterSet"]] == [SECOND_CLUSTER]
    assert only["ClusterSet"][0]["ClusterManageMode"] == "INDEPENDENT_CLUSTER"
    assert refused(call, api.kce2, "DescribeClusters", MaxResults=51).error_code == "InvalidParameterValue"


@pytest.mark.emulator_settings(kce_unknown_cluster="empty")
def test_describe_clusters_with_an_unknown_id_is_empty_by_default(sdk):
    assert (
        call(sdk.kce2, "DescribeClusters", ClusterIds=["5f2c7a10-0006-4a6e-9c1b-0000000000ff"])["Data"]["ClusterSet"]
        == []
    )


@pytest.mark.emulator_settings(kce_unknown_cluster="error")
def test_describe_clusters_with_an_unknown_id_is_not_found_on_the_other_side(sdk):
    err = refused(call, sdk.kce2, "DescribeClusters", ClusterIds=[CLUSTER, "5f2c7a10-0006-4a6e-9c1b-0000000000ff"])
    assert err.error_code == "InvalidClusterId.NotFound" and "5f2c7a10-0006-4a6e-9c1b-0000000000ff" in err.error_message


def test_describe_nodes_carries_the_kec_subnets_and_groups(sdk):
    data = call(sdk.kce2, "DescribeNodes", ClusterId=CLUSTER, MaxResults=50)["Data"]
    assert data["TotalCount"] == 5 and [n["InstanceId"] for n in data["InstanceSet"]] == NODES
    instances = {i["InstanceId"]: i for i in call(sdk.kec, "DescribeInstances")["InstancesSet"]}
    for node in data["InstanceSet"]:
        inst = instances[node["InstanceId"]]
        basic = node["BasicSetting"]
        assert (basic["SubnetID"], basic["AvailabilityZone"], basic["InstanceType"]) == (
            inst["SubnetId"],
            inst["AvailabilityZone"],
            inst["InstanceType"],
        )
        assert basic["SecurityGroupID"] == inst["NetworkInterfaceSet"][0]["SecurityGroupSet"][0]["SecurityGroupId"]
        assert (node["Name"], node["ClusterId"], node["Provider"], node["Status"]["Phase"]) == (
            inst["PrivateIpAddress"],
            CLUSTER,
            "KEC",
            "Running",
        )
    page = call(sdk.kce2, "DescribeNodes", ClusterId=CLUSTER, MaxResults=3, Marker=3)["Data"]
    assert ([n["InstanceId"] for n in page["InstanceSet"]], page["Marker"]) == (NODES[3:], 0)
    kce_node = data["InstanceSet"][2]["KceNodeId"]
    assert [
        n["InstanceId"]
        for n in call(sdk.kce2, "DescribeNodes", ClusterId=CLUSTER, KceNodeIds=[kce_node])["Data"]["InstanceSet"]
    ] == [NODES[2]]
    assert [
        n["InstanceId"]
        for n in call(sdk.kce2, "DescribeNodes", ClusterId=CLUSTER, InstanceIds=[NODES[4]])["Data"]["InstanceSet"]
    ] == [NODES[4]]


@pytest.mark.emulator_settings(kce_settle_describes=2)
def test_a_vpc_cni_change_is_updating_for_the_set_number_of_describes(kce_emulator, sdk):
    assert call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)["Data"] == {"ClusterId": CLUSTER}
    assert _phases(sdk, 3) == ["Updating", "Updating", "Running"]
    assert _cluster(sdk)["Network"]["VpcCNI"] == ON_ECHO
    assert kce_emulator.counters.as_dict()["writes"] == {"ModifyCluster": 1}
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI={"Enable": "false"})
    assert _phases(sdk, 3) == ["Updating", "Updating", "Running"]
    assert _cluster(sdk)["Network"]["VpcCNI"] == OFF_ECHO


@pytest.mark.emulator_settings(kce_settle_describes=0)
def test_with_zero_settle_describes_the_change_is_running_at_once(sdk):
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)
    assert _cluster(sdk)["Status"]["Phase"] == "Running" and _cluster(sdk)["Network"]["VpcCNI"] == ON_ECHO


def test_the_same_config_again_and_a_description_alone_change_no_phase(sdk):
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI={"Enable": False})
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, ClusterDesc="fixed pod IPs")
    assert _cluster(sdk)["Status"]["Phase"] == "Running" and _cluster(sdk)["Network"]["VpcCNI"] == OFF_ECHO
    assert call(sdk.v3, "DescribeCluster")["ClusterSet"][0]["ClusterDesc"] == "fixed pod IPs"


@pytest.mark.parametrize(
    "vpc_cni, code, named",
    [
        (dict(ON, SubnetId=[SUBNET_RESERVE]), "InvalidParameterValue", SUBNET_RESERVE),
        (dict(ON, SubnetId=["5f2c7a10-0002-4a6e-9c1b-0000000000ff"]), "InvalidSubnetId.NotFound", "0000000000ff"),
        (dict(ON, SubnetId=["5f2c7a10-0002-4a6e-9c1b-000000000099"]), "InvalidParameterValue", "000000000099"),
        (dict(ON, SecurityGroup="5f2c7a10-0003-4a6e-9c1b-000000000099"), "InvalidParameterValue", "000000000099"),
        (dict(ON, DaemonMode="eniShared"), "InvalidParameterValue", "eniShared"),
        (dict(ON, SubnetId=[]), "MissingParameter", "VpcCNI.SubnetId"),
        ({"Enable": False, "DaemonMode": "eniOnly"}, "InvalidParameterValue", "eniOnly"),
        ({"Enable": "maybe"}, "InvalidParameterValue", "maybe"),
        ({"DaemonMode": "eniOnly"}, "MissingParameter", "VpcCNI.Enable"),
        (dict(ON, SubnetIds=[SUBNET_6A]), "InvalidParameterValue", "VpcCNI.SubnetIds"),
    ],
)
def test_a_bad_vpc_cni_is_refused_naming_the_value_and_nothing_changes(start_emulator, topology, vpc_cni, code, named):
    # a second VPC with a subnet and a group of its own: valid ids, wrong VPC
    topology["vpcs"].append({"id": "5f2c7a10-0001-4a6e-9c1b-000000000099", "name": "other", "cidr": "192.168.0.0/16"})
    topology["subnets"].append(
        {
            "id": "5f2c7a10-0002-4a6e-9c1b-000000000099",
            "name": "other-6a",
            "cidr": "192.168.0.0/24",
            "zone": "cn-beijing-6a",
            "vpc_id": "5f2c7a10-0001-4a6e-9c1b-000000000099",
        }
    )
    topology["security_groups"].append(
        {
            "id": "5f2c7a10-0003-4a6e-9c1b-000000000099",
            "name": "other",
            "vpc_id": "5f2c7a10-0001-4a6e-9c1b-000000000099",
        }
    )
    emu = start(start_emulator, topology)
    api = clients(emu)
    before = kce_state(emu)
    err = refused(call, api.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=vpc_cni)
    assert not err.http_200 and err.error_code == code and named in err.error_message
    assert kce_state(emu) == before
    assert _cluster(api)["Network"]["VpcCNI"] == OFF_ECHO


def test_modify_cluster_of_an_unknown_cluster_is_not_found(sdk):
    err = refused(call, sdk.kce2, "ModifyCluster", ClusterId="5f2c7a10-0006-4a6e-9c1b-0000000000ff", VpcCNI=ON)
    assert err.error_code == "InvalidClusterId.NotFound"


class StandInPlatform:
    """Plays sandbox.platform.reconcile_vpc_cni for the emulator: records each call and blocks until released, or
    raises. The real function (the lead's) is exercised by the sandbox tests."""

    def __init__(self, fail=None):
        self.calls, self.fail = [], fail
        self.release, self.entered = threading.Semaphore(0), threading.Semaphore(0)
        self.active, self.overlap = 0, False

    def __call__(self, kubeconfig, cluster):
        self.active += 1
        self.overlap = self.overlap or self.active > 1
        self.calls.append((kubeconfig, cluster))
        self.entered.release()
        try:
            assert self.release.acquire(timeout=10), "the test never released the reconcile"
            if self.fail:
                raise RuntimeError(self.fail)
        finally:
            self.active -= 1


def _platform_emulator(topology, platform, state_file=None):
    emu = Emulator(
        topology,
        settings=PY_SDK_LISTS,
        platform_kubeconfig="/sandbox/kubeconfig",
        platform_reconcile=platform,
        state_file=state_file,
    )
    emu.start()
    return emu


def _wait_phase(api, phase, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cluster = _cluster(api)
        if cluster["Status"]["Phase"] == phase:
            return cluster
        time.sleep(0.02)
    raise AssertionError("phase %s never came: %s" % (phase, _cluster(api)["Status"]))


def test_the_platform_reconciles_outside_the_lock_one_at_a_time_and_the_last_change_wins(topology):
    platform = StandInPlatform()
    emu = _platform_emulator(topology, platform)
    try:
        api = clients(emu)
        call(api.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)
        assert platform.entered.acquire(timeout=5)
        # the reconcile runs: the API still answers (no lock held) and shows the change as updating
        assert _cluster(api)["Status"]["Phase"] == "Updating"
        call(api.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=dict(ON, DaemonMode="eniOnly", SubnetId=[SUBNET_6A]))
        call(api.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=dict(ON, SubnetId=[SUBNET_6B]))
        platform.release.release()  # the first call returns; the worker picks up the latest change only
        assert platform.entered.acquire(timeout=5)
        assert _cluster(api)["Status"]["Phase"] == "Updating"
        platform.release.release()
        cluster = _wait_phase(api, "Running")
        assert cluster["Network"]["VpcCNI"]["SubnetIds"] == [SUBNET_6B]
        assert len(platform.calls) == 2 and not platform.overlap
        kubeconfig, view = platform.calls[0]
        assert kubeconfig == "/sandbox/kubeconfig"
        assert view == {
            "ClusterId": CLUSTER,
            "ClusterName": "sandbox",
            "VpcCNI": ON_ECHO,
            "Subnets": {SUBNET_6A: "cn-beijing-6a", SUBNET_6B: "cn-beijing-6b"},
        }
        assert platform.calls[1][1]["VpcCNI"]["SubnetIds"] == [SUBNET_6B]
        assert platform.calls[1][1]["Subnets"] == {SUBNET_6B: "cn-beijing-6b"}
    finally:
        emu.stop()


def test_a_failed_reconcile_is_the_failed_phase_with_its_message(topology):
    platform = StandInPlatform(fail="multus is not installed; install it first")
    emu = _platform_emulator(topology, platform)
    try:
        api = clients(emu)
        call(api.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)
        platform.release.release()
        cluster = _wait_phase(api, "Failed")
        assert cluster["Status"]["Message"] == "multus is not installed; install it first"
        assert cluster["Network"]["VpcCNI"] == ON_ECHO
    finally:
        emu.stop()


def test_vpc_cni_and_phase_survive_a_restart_and_an_unfinished_reconcile_runs_again(topology, tmp_path):
    state_file = tmp_path / "state.json"
    platform = StandInPlatform()
    emu = _platform_emulator(topology, platform, state_file)
    call(clients(emu).kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)
    assert platform.entered.acquire(timeout=5)
    emu.stop()  # killed mid-reconcile: the state file says Updating
    platform.release.release()
    again = StandInPlatform()
    emu = _platform_emulator(topology, again, state_file)
    try:
        assert again.entered.acquire(timeout=5), "the restarted platform did not reconcile the unfinished change"
        again.release.release()
        assert _wait_phase(clients(emu), "Running")["Network"]["VpcCNI"] == ON_ECHO
    finally:
        emu.stop()


def test_a_call_driven_change_survives_a_restart(start_emulator, tmp_path):
    state_file = tmp_path / "state.json"
    first = start(start_emulator, state_file=state_file, kce_settle_describes=1)
    call(clients(first).kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=ON)
    first.stop()
    api = clients(start(start_emulator, state_file=state_file, kce_settle_describes=1))
    assert _phases(api, 2) == ["Updating", "Running"]
    assert _cluster(api)["Network"]["VpcCNI"] == ON_ECHO
