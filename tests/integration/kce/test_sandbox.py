"""The three cluster modules against the running sandbox itself (its emulator, run as the platform, and its real
kube-apiserver), reading only: the sandbox's cluster and its nodes, a kubeconfig that lists them, and a VPC-CNI change
in check mode (the sandbox's VPC-CNI is shared by every test on it, so nothing is changed here; the changes run
against an in-process emulator in test_cluster_vpc_cni.py)."""

import os
import stat

import pytest
from kce_cloud import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SG, SUBNET_6A, SUBNET_6B, task
from kce_clusters import CLUSTER
from kubernetes import client, config

from playbook_runner import run_playbook

pytestmark = pytest.mark.controlplane


@pytest.fixture
def sandbox_play(sandbox_state, tmp_path):
    url = "http://" + sandbox_state["ksyun_endpoint"]
    env = {
        "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "KSYUN_REGION": REGION,
        "KSYUN_ENDPOINT": url,
    }

    def run(tasks):
        # The node agent calls the same emulator: count the calls signed with the tests' key only.
        return run_playbook(tasks, tmp_path, url, SECRET_ACCESS_KEY, env, caller=ACCESS_KEY_ID)

    return run


def node_names(kubeconfig):
    api = config.new_client_from_config(config_file=str(kubeconfig))
    return sorted(node.metadata.name for node in client.CoreV1Api(api).list_node().items)


def test_the_sandbox_cluster_its_nodes_and_its_kubeconfig_are_the_sandboxs(sandbox_play, sandbox_state, tmp_path):
    dest = tmp_path / "sandbox.kubeconfig"
    wanted = {"cluster_id": CLUSTER, "mode": "shared", "subnet_ids": [SUBNET_6A, SUBNET_6B], "security_group_id": SG}
    steps = sandbox_play(
        [
            task("info", "cluster_info", {"cluster_id": CLUSTER}),
            task("kubeconfig", "cluster_kubeconfig", {"cluster_id": CLUSTER, "dest": str(dest)}),
            task("vpc-cni in check mode", "cluster_vpc_cni", wanted, check=True),
        ]
    )
    info = steps["info"]
    assert not info.failed and info.total_writes == 0, info
    (cluster,) = info.result["clusters"]
    kube_nodes = node_names(sandbox_state["kubeconfig"])
    assert sorted(node["name"] for node in cluster["nodes"]) == kube_nodes
    kubeconfig = steps["kubeconfig"]
    assert not kubeconfig.failed and kubeconfig.total_writes == 0, kubeconfig
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600 and node_names(dest) == kube_nodes
    check = steps["vpc-cni in check mode"]
    current = cluster["vpc_cni"]
    same = current["enabled"] and current["mode"] == "shared" and set(current["subnet_ids"]) == {SUBNET_6A, SUBNET_6B}
    same = same and current["security_group_id"] == SG
    assert not check.failed and check.total_writes == 0 and check.changed != same, check
    assert check.result["vpc_cni"]["enabled"] is True
