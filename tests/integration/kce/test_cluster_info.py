"""ksyun.kce.cluster_info through ansible-playbook against the emulator: a cluster by id or by exact name, or all; its
nodes are the topology's KEC instances; an unknown id fails clearly whichever way the API says "no such cluster"."""

import pytest
from kce_cloud import VPC, task
from kce_clusters import CLUSTER, CLUSTER_NAME, OTHER_CLUSTER, OTHER_CLUSTER_NAME, OTHER_VPC, UNKNOWN_CLUSTER

pytestmark = pytest.mark.emulator

READS_ONE = {"DescribeCluster": 1, "DescribeClusters": 1, "DescribeClusterInstance": 1}


def test_a_cluster_by_id_shows_its_network_version_status_vpc_cni_and_its_nodes_as_the_kec_instances(play, emu):
    steps = play([task("by id", "cluster_info", {"cluster_id": CLUSTER}, check=True)])
    step = steps["by id"]
    assert not step.failed and not step.changed, step
    (cluster,) = step.result["clusters"]
    assert (cluster["id"], cluster["name"], cluster["vpc_id"], cluster["vpc_cidr"]) == (
        CLUSTER,
        CLUSTER_NAME,
        VPC,
        "10.0.0.0/16",
    )
    assert (cluster["network_type"], cluster["manage_mode"], cluster["kubernetes_version"], cluster["status"]) == (
        "Flannel",
        "ManagedCluster",
        "v1.37.2",
        "running",
    )
    assert cluster["phase"] == "Running" and cluster["vpc_cni"]["enabled"] is False
    instances = emu.state.data["instances"]
    assert [n["instance_id"] for n in cluster["nodes"]] == sorted(instances)
    for node in cluster["nodes"]:
        kec = instances[node["instance_id"]]
        assert (node["availability_zone"], node["subnet_id"], node["instance_type"], node["private_ip_address"]) == (
            kec["zone"],
            kec["subnet_id"],
            kec["type"],
            kec["primary_ip"],
        )
        assert node["name"] == kec["primary_ip"] and node["status"] == "normal" and node["security_groups"]
    assert step.reads == READS_ONE and step.total_writes == 0


def test_a_name_matches_exactly_although_the_api_searches_parts_of_names(play):
    steps = play(
        [
            task("by name", "cluster_info", {"name": CLUSTER_NAME}),
            task("all without nodes", "cluster_info", {"include_nodes": False}),
            task("a name no cluster has", "cluster_info", {"name": "sand"}),
        ]
    )
    assert [c["id"] for c in steps["by name"].result["clusters"]] == [CLUSTER]
    everything = steps["all without nodes"]
    assert [(c["id"], c["name"]) for c in everything.result["clusters"]] == [
        (CLUSTER, CLUSTER_NAME),
        (OTHER_CLUSTER, OTHER_CLUSTER_NAME),
    ]
    other = everything.result["clusters"][1]
    assert other["vpc_id"] == OTHER_VPC and other["network_type"] == "Calico" and other["nodes"] == []
    assert everything.reads == {"DescribeCluster": 1, "DescribeClusters": 1}
    assert not steps["a name no cluster has"].failed and steps["a name no cluster has"].result["clusters"] == []


@pytest.mark.parametrize("unknown_cluster", ["empty", "error"])
@pytest.mark.parametrize("errors_http_200", [False, True])
def test_an_unknown_cluster_id_fails_clearly_whether_the_api_answers_empty_or_not_found(
    play, emu, unknown_cluster, errors_http_200
):
    emu.settings.update({"kce_unknown_cluster": unknown_cluster, "kce_errors_http_200": errors_http_200})
    steps = play([task("unknown", "cluster_info", {"cluster_id": UNKNOWN_CLUSTER})])
    step = steps["unknown"]
    assert step.failed and "cluster_id: cluster %s does not exist in region" % UNKNOWN_CLUSTER in step.msg, step
    assert step.reads == {"DescribeCluster": 1} and step.total_writes == 0


def test_an_id_that_is_no_uuid_is_refused_before_any_call(play):
    step = play([task("bad id", "cluster_info", {"cluster_id": "sandbox"})])["bad id"]
    assert step.failed and "'sandbox' is not a KSYUN resource id" in step.msg and step.reads == {}
