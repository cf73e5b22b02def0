"""ksyun.kce.vpc_cni refuses unmet prerequisites and bad settings before anything is applied, naming what to fix."""

import pytest

from conftest import SANDBOX_VPC_CNI

pytestmark = pytest.mark.controlplane

SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
ENDPOINTS_6A = "5f2c7a10-0002-4a6e-9c1b-000000000004"
UNKNOWN = "5f2c7a10-0002-4a6e-9c1b-0000000000ff"
OTHER_VPC = "5f2c7a10-0001-4a6e-9c1b-0000000000ff"


def vpc_cni(**overrides):
    """One play running the vpc_cni role with the sandbox's settings changed by overrides."""
    return [
        {
            "name": "VPC-CNI",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": dict(SANDBOX_VPC_CNI, **overrides),
            "tasks": [{"name": "Configure VPC-CNI", "ansible.builtin.include_role": {"name": "ksyun.kce.vpc_cni"}}],
        }
    ]


CASES = {
    "a subnet that does not exist": (
        {"vpc_cni_pod_subnets": {"cn-beijing-6a": [UNKNOWN], "cn-beijing-6b": [SUBNET_6B]}},
        "vpc_cni_pod_subnets names subnets the cloud does not have: %s" % UNKNOWN,
    ),
    "a subnet listed under the wrong zone": (
        {"vpc_cni_pod_subnets": {"cn-beijing-6a": [SUBNET_6A, SUBNET_6B], "cn-beijing-6b": [SUBNET_6B]}},
        "vpc_cni_pod_subnets[cn-beijing-6a] names subnet %s (kce-container-6b, 10.0.1.0/24), which lies in zone "
        "cn-beijing-6b; list it under cn-beijing-6b" % SUBNET_6B,
    ),
    "a subnet where ENIs cannot be created": (
        {"vpc_cni_pod_subnets": {"cn-beijing-6a": [ENDPOINTS_6A], "cn-beijing-6b": [SUBNET_6B]}},
        "a Reserve subnet where ENIs cannot be created",
    ),
    "subnets outside the cluster's VPC": (
        {"vpc_cni_vpc_id": OTHER_VPC},
        "not all in vpc_cni_vpc_id %s" % OTHER_VPC,
    ),
    "a zone with nodes but no container subnet": (
        {"vpc_cni_pod_subnets": {"cn-beijing-6a": [SUBNET_6A]}},
        "nodes run in cn-beijing-6b (",
    ),
    "a node selector that matches no node": (
        {"vpc_cni_node_selector": {"k8s.ksyun.com/pool": "nowhere"}},
        'vpc_cni_node_selector {"k8s.ksyun.com/pool": "nowhere"} matches no node',
    ),
    "multus missing while fixed IP is on": (
        {"vpc_cni_multus_namespace": "no-multus-here"},
        "fixed IP is on (vpc_cni_fixed_ip) but multus is missing - no DaemonSet of namespace no-multus-here runs multus",
    ),
    "a retention that does not parse": (
        {"vpc_cni_ip_retention": "soon"},
        "vpc_cni_ip_retention has value 'soon'",
    ),
    "a cluster name that cannot mark ENIs": (
        {"vpc_cni_cluster_name": "Prod_Cluster"},
        "vpc_cni_cluster_name has value 'Prod_Cluster'",
    ),
    "a subnet id that is not an id": (
        {"vpc_cni_pod_subnets": {"cn-beijing-6a": ["subnet-6a"]}},
        "vpc_cni_pod_subnets[cn-beijing-6a] has value 'subnet-6a'",
    ),
    "a moving image tag": (
        {"vpc_cni_image_tag": "latest"},
        'vpc_cni_image_tag "latest" moves',
    ),
    "an unknown output": (
        {"vpc_cni_output": "apply-later"},
        "vpc_cni_output",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_anything_is_applied(case, ansible, addons_unchanged):
    overrides, message = CASES[case]
    run = ansible(vpc_cni(**overrides))
    assert run.rc != 0 and run.failures, run
    assert message in " ".join(run.msg.split()), run
    addons_unchanged()


def test_an_unreachable_cluster_is_named_and_nothing_is_written(ansible, addons_unchanged, tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: gone}}]\n"
        "users: [{name: gone, user: {token: not-a-token}}]\n"
    )
    run = ansible(vpc_cni(), env={"K8S_AUTH_KUBECONFIG": str(kubeconfig)})
    assert run.rc != 0
    assert "the cluster does not answer" in run.msg and "K8S_AUTH_KUBECONFIG" in run.msg, run
    addons_unchanged()
