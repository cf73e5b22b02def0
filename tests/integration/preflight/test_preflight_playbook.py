"""ansible-playbook ksyun.kce.preflight on a bare cluster, on a cluster the roles set up, and on one with a foreign CRD
of the collection's name: it reports each convention, stops on a blocker by name, and never writes to the cloud or the
cluster."""

import json

import pytest
from kubernetes import client
from preflight_support import PREFLIGHT, counted, delete_and_wait

from apiserver_requests import ApiserverWrites

pytestmark = pytest.mark.controlplane

CRD_KINDS = ("crd_podeni", "crd_podeniip", "crd_vpcip")
# The KCE cluster of the sandbox's topology (sandbox/topologies/default.yml), whose nodes are the sandbox's nodes.
KCE_CLUSTER = "5f2c7a10-0006-4a6e-9c1b-000000000001"


def statuses(report):
    return {check["name"]: check["status"] for check in report["checks"]}


def check(report, name):
    return next(c for c in report["checks"] if c["name"] == name)


def run_preflight(runner, api, admin, wait_for, tmp_path, *args):
    """(Counted, report): one preflight run and the JSON report it wrote."""
    out = tmp_path / "preflight.json"
    result = counted(
        api, admin, wait_for, lambda: runner(PREFLIGHT, args=["-e", "preflight_output_file=%s" % out, *args])
    )
    assert out.exists(), result.run
    return result, json.loads(out.read_text())


def assert_wrote_nothing(result):
    assert result.cloud_writes == {}, "the preflight wrote to the cloud: %s" % result.cloud_writes
    assert result.cluster_writes == {}, "the preflight wrote to the cluster: %s" % result.cluster_writes


def test_a_bare_cluster_has_the_conventions_absent_that_the_roles_install(
    bare_ansible, bare_kube, bare_emulator, wait_for, tmp_path
):
    result, report = run_preflight(bare_ansible, bare_kube, bare_emulator, wait_for, tmp_path)
    assert result.run.rc == 0, result.run
    found = statuses(report)
    for name in ("config_map", "multus", "vpc_cni_network") + CRD_KINDS:
        assert found[name] == "absent", check(report, name)
        assert check(report, name)["will"], "an absent convention says what the collection will do: %s" % name
    assert (
        found["vpc_cni_nodes"] == "ok"
        and "4 of 5 nodes labelled k8s.ksyun.com/vpc-cni=true" in check(report, "vpc_cni_nodes")["found"]
    )
    assert found["zone_guard"] == "ok", check(report, "zone_guard")
    assert report["blockers"] == [] and report["counts"]["blocker"] == 0
    assert {item["name"] for item in report["skipped"]} == {"kce_vpc_cni", "records"}
    table = result.run.task("Report")["msg"]
    assert any(line.split()[:2] == ["ABSENT", "crd_podeniip"] for line in table), table
    assert_wrote_nothing(result)


def test_a_cluster_the_roles_set_up_passes_and_reads_the_cloud_and_kce(ansible, kube, emulator, wait_for, tmp_path):
    result, report = run_preflight(
        ansible, kube, emulator, wait_for, tmp_path, "-e", "preflight_cluster_id=" + KCE_CLUSTER
    )
    assert result.run.rc == 0, result.run
    found = statuses(report)
    for name in ("config_map", "multus", "vpc_cni_network", "vpc_cni_nodes", "zones") + CRD_KINDS:
        assert found[name] == "ok", check(report, name)
    # The tiny node 10.0.0.49 (N3.1A: one ENI besides its primary) has no slot left while an ENI of an earlier test is
    # still attached there (the full suite's order: the fixed_ip suite runs first): a warning naming it, never a blocker.
    assert found["node_resources"] == "ok" or (
        found["node_resources"] == "warn" and "10.0.0.49" in check(report, "node_resources")["will_not"]
    ), check(report, "node_resources")
    assert "installed by ksyun.kce" in check(report, "multus")["found"]
    assert "cluster sandbox" in check(report, "config_map")["found"]
    subnets = check(report, "container_subnets")
    assert (
        subnets["status"] in ("ok", "warn")
        and "cn-beijing-6a: 5f2c7a10-0002-4a6e-9c1b-000000000001" in subnets["found"]
    )
    assert found["records"] in ("ok", "warn"), "the audit ran in check mode: %s" % report["skipped"]
    kce = check(report, "kce_vpc_cni")
    assert kce["status"] != "blocker" and ("for %s" % KCE_CLUSTER) in kce["found"], kce
    assert report["skipped"] == []
    assert result.cloud_reads.get("DescribeSubnets"), (
        "the preflight read the container subnets: %s" % result.cloud_reads
    )
    assert report["blockers"] == []
    assert_wrote_nothing(result)


def foreign_crd():
    """podeniips.k8s.ksyun.com as another VPC-CNI might define it: its own storage version v1beta1, a v1 of another
    schema (no field of the collection but ip, no status subresource), no label of the collection."""
    schema = {"type": "object", "properties": {"spec": {"type": "object", "properties": {"ip": {"type": "string"}}}}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "podeniips.k8s.ksyun.com"},
        "spec": {
            "group": "k8s.ksyun.com",
            "scope": "Namespaced",
            "names": {"kind": "PodEniIP", "plural": "podeniips", "singular": "podeniip"},
            "versions": [
                {"name": "v1beta1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}},
                {"name": "v1", "served": True, "storage": False, "schema": {"openAPIV3Schema": schema}},
            ],
        },
    }


def test_a_foreign_crd_of_the_same_name_is_a_blocker_named_and_the_run_fails(
    bare_ansible, bare_kube, bare_dyn, bare_emulator, wait_for, tmp_path
):
    ext = client.ApiextensionsV1Api(bare_kube)
    with ApiserverWrites(bare_kube) as setup:
        ext.create_custom_resource_definition(foreign_crd(), field_manager="kce-vpc-cni")
    assert "POST apiextensions.k8s.io/customresourcedefinitions" in setup.counted, "the count sees a write"
    try:
        result, report = run_preflight(bare_ansible, bare_kube, bare_emulator, wait_for, tmp_path)
        assert result.run.rc != 0, result.run
        podeniip = check(report, "crd_podeniip")
        assert podeniip["status"] == "blocker"
        assert "its v1 schema lacks spec.eipId, spec.eniId, spec.fixed" in podeniip["found"]
        assert "status.phase" in podeniip["found"] and "no status subresource" in podeniip["found"]
        assert "it belongs to someone else (field manager kce-vpc-cni, no label" in podeniip["found"]
        assert "crdGroup" in podeniip["will"]
        assert statuses(report)["crd_podeni"] == "absent", "only the foreign CRD is a blocker"
        message = " ".join(result.run.msg.split())
        assert message.startswith("1 blocker(s), nothing was written: crd_podeniip: CRD podeniips.k8s.ksyun.com")
        assert "field manager kce-vpc-cni" in message
        assert_wrote_nothing(result)
    finally:
        delete_and_wait(
            bare_dyn, wait_for, "apiextensions.k8s.io/v1", "CustomResourceDefinition", "podeniips.k8s.ksyun.com"
        )


def test_a_configmap_name_without_its_namespace_is_refused_by_name_and_nothing_is_written(
    bare_ansible, bare_kube, bare_emulator, wait_for, tmp_path
):
    result = counted(
        bare_kube,
        bare_emulator,
        wait_for,
        lambda: bare_ansible(PREFLIGHT, args=["-e", "preflight_cluster_config=ksyun-vpc-cni"]),
    )
    assert result.run.rc != 0, result.run
    assert result.run.failures[0][0] == "Read the cluster's conventions", result.run
    assert "cluster_config 'ksyun-vpc-cni' must name the ConfigMap as <namespace>/<name>" in result.run.msg
    assert_wrote_nothing(result)
