"""The vpc_cni role's KCE path, as a KCE user runs it: the cluster id and a mode, nothing else. VPC-CNI is switched on
through the KCE API (kce2 ModifyCluster) and the sandbox's platform installs the add-on; the role then writes only the
fixed-IP configuration. In each DaemonMode the product page's StatefulSet, applied with the real kubectl as the page
gives it, keeps its IP when its pod is deleted; a rerun changes nothing and sends no cloud write.

The session's sandbox runs in shared mode (eniMultiIP); the exclusive case runs first and the shared case last, so the
sandbox ends as it began.
"""

import time

import pytest
import yaml
from kubernetes import client

from sandbox import kubectl
from sandbox.addons import kce_cluster_id
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY

pytestmark = pytest.mark.controlplane

CLUSTER_ID = kce_cluster_id(DEFAULT_TOPOLOGY)
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
NODE_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
OTHER_VPC_SUBNET = "5f2c7a10-0002-4a6e-9c1b-0000000000ff"
DAEMON_MODE = {"exclusive": "eniOnly", "shared": "eniMultiIP"}
PRODUCT_PAGE = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {labels: {ksyun-app: sts-3}, name: sts-3}
spec:
  podManagementPolicy: OrderedReady
  replicas: 1
  selector: {matchLabels: {ksyun-app: sts-3}}
  serviceName: ""
  template:
    metadata:
      annotations:
        k8s.ksyun.com/%(annotation)s: "true"
        k8s.ksyun.com/pod-ip-fixed: "true"
        v1.multus-cni.io/default-network: "kube-system/vpc-cni"
      labels: {ksyun-app: sts-3}
    spec:
      containers:
      - image: hub.kce.ksyun.com/xiangqian/nginx:1.22.0
        name: nginx
        resources:
          limits: {"%(resource)s": "1"}
          requests: {"%(resource)s": "1"}
      imagePullSecrets: [{name: ksyunregistrykey}]
"""
PAGE_MODE = {
    "shared": {"annotation": "pod-eniip", "resource": "ksyun/eni-private-ip"},
    "exclusive": {"annotation": "pod-eni", "resource": "ksyun/eni"},
}


def kce_path(**variables):
    return [
        {
            "name": "VPC-CNI on a KCE cluster",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": dict({"vpc_cni_cluster_id": CLUSTER_ID}, **variables),
            "tasks": [{"name": "Configure VPC-CNI", "ansible.builtin.include_role": {"name": "ksyun.kce.vpc_cni"}}],
        }
    ]


def cluster_info(ansible):
    run = ansible(
        [
            {
                "name": "Read the cluster",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "tasks": [{"name": "Read", "ksyun.kce.cluster_info": {"cluster_id": CLUSTER_ID}}],
            }
        ]
    )
    assert run.rc == 0, run
    return run.task("Read")["clusters"][0]


def running_pod(core, namespace, name, other_than=None, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod(namespace, field_selector="metadata.name=" + name).items
        pod = pods[0] if pods else None
        if (
            pod is not None
            and pod.metadata.uid != other_than
            and not pod.metadata.deletion_timestamp
            and pod.status.pod_ip
            and any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
        ):
            return pod
        time.sleep(0.25)
    raise AssertionError("pod %s/%s was not Running and Ready with an IP after %.0fs" % (namespace, name, timeout))


@pytest.mark.parametrize("mode", ["exclusive", "shared"])
def test_the_kce_path_switches_vpc_cni_on_through_the_platform_and_a_fixed_ip_holds(
    ansible, kube, emulator, sandbox_state, namespace, tmp_path, mode
):
    before = cluster_info(ansible)["vpc_cni"]
    run = ansible(kce_path(vpc_cni_mode=mode))
    assert run.rc == 0, run
    switched = run.task("Switch VPC-CNI on through the KCE API and wait until the platform reports it")
    assert switched["changed"] is (before["mode"] != mode), (before, switched)

    cluster = cluster_info(ansible)
    vpc_cni = cluster["vpc_cni"]
    assert (vpc_cni["enabled"], vpc_cni["mode"], vpc_cni["daemon_mode"]) == (True, mode, DAEMON_MODE[mode])
    assert sorted(vpc_cni["subnet_ids"]) == [SUBNET_6A, SUBNET_6B] and vpc_cni["security_group_id"] == NODE_GROUP
    assert cluster["phase"] == "Running"

    core = client.CoreV1Api(kube)
    config = core.read_namespaced_config_map("ksyun-vpc-cni", "kube-system")
    assert config.data["daemonMode"] == DAEMON_MODE[mode] and config.data["clusterName"] == "sandbox"
    daemonset = client.AppsV1Api(kube).read_namespaced_daemon_set("ksyun-vpc-cni", "kube-system")
    managers = {field.manager for field in daemonset.metadata.managed_fields or []}
    assert "kce-platform" in managers and "ksyun.kce" not in managers, managers  # the platform's add-on, not the role's

    # The rerun: no change, no cloud write.
    emulator.reset_counters()
    again = ansible(kce_path(vpc_cni_mode=mode))
    assert again.rc == 0, again
    changed = [name for name, result in again.results.items() if result.get("changed")]
    assert not changed, "the rerun changed %s" % changed
    assert not emulator.counters()["writes"], emulator.counters()["writes"]

    # The product page's StatefulSet, applied as the page gives it, keeps its IP when its pod is deleted.
    manifest = tmp_path / "sts.yaml"
    manifest.write_text(PRODUCT_PAGE % PAGE_MODE[mode])
    applied = kubectl.run(sandbox_state, "apply", "-n", namespace, "-f", str(manifest))
    assert applied.returncode == 0, applied.stderr
    first = running_pod(core, namespace, "sts-3-0")
    deleted = kubectl.run(sandbox_state, "delete", "pod", "-n", namespace, "sts-3-0")
    assert deleted.returncode == 0, deleted.stderr
    again_pod = running_pod(core, namespace, "sts-3-0", other_than=first.metadata.uid)
    assert again_pod.status.pod_ip == first.status.pod_ip
    kind = {"shared": "podeniips", "exclusive": "podenis"}[mode]
    listed = kubectl.run(sandbox_state, "get", kind + ".k8s.ksyun.com", "-n", namespace, "-o", "yaml")
    records = yaml.safe_load(listed.stdout)["items"]
    assert [r["spec"]["ip"] for r in records] == [first.status.pod_ip], listed.stdout
    kubectl.run(sandbox_state, "delete", "-n", namespace, "-f", str(manifest), "--wait=true")


@pytest.mark.parametrize(
    "variables,named",
    [
        (
            {"vpc_cni_pod_subnets": {"cn-beijing-6a": [OTHER_VPC_SUBNET]}},
            OTHER_VPC_SUBNET,
        ),
        (
            {"vpc_cni_security_group_ids": [NODE_GROUP, "5f2c7a10-0003-4a6e-9c1b-000000000002"]},
            "the KCE API takes one security group",
        ),
        (
            {"vpc_cni_cluster_id": "5f2c7a10-0006-4a6e-9c1b-0000000000ff"},
            "5f2c7a10-0006-4a6e-9c1b-0000000000ff",
        ),
    ],
    ids=["a subnet the VPC does not have", "two security groups", "an unknown cluster"],
)
def test_the_kce_path_refuses_bad_settings_before_any_write(ansible, addons_unchanged, variables, named):
    run = ansible(kce_path(**variables))
    assert run.rc != 0 and named in run.msg, run
    addons_unchanged()


def vpc_cni_off(wait):
    return [
        {
            "name": "VPC-CNI off",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Switch VPC-CNI off",
                    "ksyun.kce.cluster_vpc_cni": {"cluster_id": CLUSTER_ID, "state": "disabled", "wait": wait},
                }
            ],
        }
    ]


def test_switching_vpc_cni_off_through_the_kce_api_removes_the_add_on_and_keeps_configuration_and_records(
    ansible, kube, emulator
):
    """The platform removes the add-on's DaemonSet when VpcCNI is switched off, and reports its progress: updating
    until the add-on is gone, then running; the CRDs, the configuration and every record stay. Switched on again
    (the role's KCE path), the add-on is back on every VPC-CNI node."""
    apps, core = client.AppsV1Api(kube), client.CoreV1Api(kube)
    crds = client.ApiextensionsV1Api(kube)
    records_before = {
        kind: len(client.CustomObjectsApi(kube).list_cluster_custom_object("k8s.ksyun.com", "v1", kind)["items"])
        for kind in ("podeniips", "podenis", "vpcips")
    }
    try:
        started = ansible(vpc_cni_off(wait=False))
        assert started.rc == 0, started
        assert started.task("Switch VPC-CNI off")["changed"] is True
        assert cluster_info(ansible)["phase"] in ("Updating", "Running")  # the platform may be done already

        waited = ansible(vpc_cni_off(wait=True))  # the settings are asked already: it only waits, and writes nothing
        assert waited.rc == 0 and waited.task("Switch VPC-CNI off")["changed"] is False, waited
        cluster = cluster_info(ansible)
        assert cluster["vpc_cni"]["enabled"] is False and cluster["phase"] == "Running"
        names = [ds.metadata.name for ds in apps.list_namespaced_daemon_set("kube-system").items]
        assert "ksyun-vpc-cni" not in names and "kube-multus-ds" in names, names
        assert core.read_namespaced_config_map("ksyun-vpc-cni", "kube-system").data["podSubnets"]
        for plural in ("podeniips", "podenis", "vpcips"):
            crds.read_custom_resource_definition(plural + ".k8s.ksyun.com")
        assert records_before == {
            kind: len(client.CustomObjectsApi(kube).list_cluster_custom_object("k8s.ksyun.com", "v1", kind)["items"])
            for kind in records_before
        }
    finally:
        back = ansible(kce_path(vpc_cni_mode="shared"))
    assert back.rc == 0, back
    daemonset = apps.read_namespaced_daemon_set("ksyun-vpc-cni", "kube-system")
    assert daemonset.status.number_ready == daemonset.status.desired_number_scheduled > 0
