"""The three cluster modules against the running sandbox itself (its emulator, run with the sandbox's platform, and its
real kube-apiserver), changing nothing: the sandbox's cluster and its nodes, a kubeconfig that lists them, the VPC-CNI
settings `sandbox up` made through cluster_vpc_cni and the platform asked for again (no call), and a switch in check
mode only (the sandbox's VPC-CNI add-on is shared by every test on it; the changes run against an in-process emulator
in test_cluster_vpc_cni.py)."""

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
    steps = sandbox_play(
        [
            task("info", "cluster_info", {"cluster_id": CLUSTER}),
            task("kubeconfig", "cluster_kubeconfig", {"cluster_id": CLUSTER, "dest": str(dest)}),
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


def test_the_sandboxs_vpc_cni_as_its_platform_set_it_is_a_noop_to_ask_again_and_a_switch_is_only_previewed(
    sandbox_play,
):
    """`sandbox up` switched VPC-CNI on through cluster_vpc_cni and the platform (the vpc_cni role's KCE path): asking
    for the same settings again sends nothing; another mode is shown in check mode only (other tests share the add-on).
    """
    (cluster,) = sandbox_play([task("info", "cluster_info", {"cluster_id": CLUSTER})])["info"].result["clusters"]
    current = cluster["vpc_cni"]
    if current["enabled"]:
        same = {
            "cluster_id": CLUSTER,
            "mode": current["mode"],
            "subnet_ids": list(reversed(current["subnet_ids"])),
            "security_group_id": current["security_group_id"],
        }
        other = dict(same, mode="exclusive" if current["mode"] == "shared" else "shared")
    else:
        same = {"cluster_id": CLUSTER, "state": "disabled"}
        other = {"cluster_id": CLUSTER, "subnet_ids": [SUBNET_6A, SUBNET_6B], "security_group_id": SG}
    steps = sandbox_play(
        [
            task("the same settings", "cluster_vpc_cni", same),
            task("another mode in check mode", "cluster_vpc_cni", other, check=True),
        ]
    )
    again = steps["the same settings"]
    assert again.is_noop and again.result["actions"] == [] and again.result["phase"] == "Running", again
    preview = steps["another mode in check mode"]
    assert preview.changed and len(preview.result["actions"]) == 1 and preview.total_writes == 0, preview
    assert preview.diff["before"] != preview.diff["after"]
