# -*- coding: utf-8 -*-
"""The preflight's checks: what a cluster has of the collection's conventions, and what the collection will do there."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight import (
    ABSENT,
    BLOCKER,
    OK,
    WARN,
    Check,
    ConfigView,
    report,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight_cloud import cloud_checks
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight_cluster import (
    ClusterFacts,
    cluster_checks,
    expected_crd,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd

SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
GROUP_ID = "5f2c7a10-0003-4a6e-9c1b-000000000001"
VPC = "5f2c7a10-0001-4a6e-9c1b-000000000001"
EXPECTED = tuple(expected_crd(crd(kind)) for kind in sorted(KINDS))
CONFIG = ConfigView(
    source="ConfigMap kube-system/ksyun-vpc-cni",
    found=True,
    cluster_name="sandbox",
    retention="never",
    pod_subnets={"cn-beijing-6a": (SUBNET_6A,), "cn-beijing-6b": (SUBNET_6B,)},
    security_group_ids=(GROUP_ID,),
    crd_group="k8s.ksyun.com",
    crd_version="v1",
    managers=("ksyun.kce",),
    ours=True,
)


def applied(obj, manager="ksyun.kce"):
    out = copy.deepcopy(obj)
    out["metadata"]["managedFields"] = [{"manager": manager, "operation": "Apply"}]
    return out


def foreign(obj, manager="kubectl-create"):
    out = applied(obj, manager)
    out["metadata"]["labels"] = {}
    return out


def node(name, zone, vpc_cni=True, shared=30, exclusive=3):
    labels = {"topology.kubernetes.io/zone": zone}
    if vpc_cni:
        labels["k8s.ksyun.com/vpc-cni"] = "true"
    allocatable = {"cpu": "8"}
    if shared:
        allocatable["ksyun/eni-private-ip"] = str(shared)
    if exclusive:
        allocatable["ksyun/eni"] = str(exclusive)
    return {"metadata": {"name": name, "labels": labels}, "status": {"allocatable": allocatable}}


def multus_ds(
    namespace="kube-system",
    name="kube-multus-ds",
    image="ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick",
    ready=2,
    desired=2,
    manager="ksyun.kce",
    labels=None,
):
    return {
        "metadata": {
            "namespace": namespace,
            "name": name,
            "labels": labels if labels is not None else {"app.kubernetes.io/part-of": "ksyun.kce"},
            "managedFields": [{"manager": manager}],
        },
        "spec": {"template": {"spec": {"containers": [{"name": "kube-multus", "image": image}]}}},
        "status": {"numberReady": ready, "desiredNumberScheduled": desired},
    }


NAD_CRD = applied(
    {
        "metadata": {
            "name": "network-attachment-definitions.k8s.cni.cncf.io",
            "labels": {"app.kubernetes.io/part-of": "ksyun.kce"},
        }
    }
)
NETWORK = applied(
    {
        "kind": "NetworkAttachmentDefinition",
        "metadata": {
            "name": "vpc-cni",
            "namespace": "kube-system",
            "labels": {"app.kubernetes.io/part-of": "ksyun.kce"},
        },
        "spec": {"config": json.dumps({"cniVersion": "0.3.1", "name": "vpc-cni", "type": "ksyun-vpc-cni"})},
    }
)


def ready_cluster(**changes):
    """A cluster the collection's roles set up: every convention holds."""
    facts = ClusterFacts(
        config=CONFIG,
        expected_crds=EXPECTED,
        crds=tuple(applied(crd(kind)) for kind in sorted(KINDS)) + (NAD_CRD,),
        daemonsets=(multus_ds(),),
        network=NETWORK,
        nodes=(node("10.0.0.47", "cn-beijing-6a"), node("10.0.1.47", "cn-beijing-6b")),
        zone_guard_served=True,
        zone_guard_policies=("ksyun-fixed-ip-zone-podeni", "ksyun-fixed-ip-zone-podeniip"),
    )
    return dataclasses.replace(facts, **changes)


def by_name(checks):
    return {check.name: check for check in checks}


def test_a_cluster_the_roles_set_up_passes_every_check():
    checks = by_name(cluster_checks(ready_cluster()))
    assert {name: check.status for name, check in checks.items()} == {
        "config_map": OK,
        **{"crd_%s" % kind.lower(): OK for kind in KINDS},
        "multus": OK,
        "vpc_cni_network": OK,
        "vpc_cni_nodes": OK,
        "node_resources": OK,
        "zones": OK,
        "zone_guard": OK,
    }
    assert "spec.podName" in checks["crd_podeniip"].will and "status.phase" in checks["crd_podeniip"].will
    assert "cn-beijing-6a: %s" % SUBNET_6A in checks["config_map"].found


def test_a_bare_cluster_has_everything_absent_and_no_blocker():
    facts = ClusterFacts(
        config=ConfigView(source="ConfigMap kube-system/ksyun-vpc-cni"),
        expected_crds=EXPECTED,
        nodes=(node("10.0.0.47", "cn-beijing-6a", shared=0, exclusive=0),),
        zone_guard_served=False,
    )
    checks = by_name(cluster_checks(facts))
    for name in ["config_map", "multus", "vpc_cni_network", "node_resources"] + ["crd_%s" % k.lower() for k in KINDS]:
        assert checks[name].status == ABSENT, checks[name]
        assert checks[name].will, "an absent convention says what the collection does about it: %s" % name
    assert "zones" not in checks, "without a configuration there are no container subnets to compare"
    assert checks["zone_guard"].status == WARN
    assert not [c for c in checks.values() if c.status == BLOCKER]


def test_a_foreign_crd_of_the_same_name_with_another_version_is_a_blocker_naming_its_manager():
    theirs = foreign(crd("PodEniIP"), manager="kce-vpc-cni-operator")
    theirs["spec"]["versions"][0]["name"] = "v1alpha1"
    facts = ready_cluster(
        crds=tuple(c for c in ready_cluster().crds if c["metadata"]["name"] != "podeniips.k8s.ksyun.com") + (theirs,)
    )
    check = by_name(cluster_checks(facts))["crd_podeniip"]
    assert check.status == BLOCKER
    assert "it serves v1alpha1, not v1" in check.found
    assert "it belongs to someone else (field manager kce-vpc-cni-operator" in check.found
    assert "crdGroup" in check.will


def test_a_crd_of_ours_whose_schema_lacks_fields_is_a_blocker_listing_them():
    ours = applied(crd("PodEni"))
    spec = ours["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    del spec["eipId"], spec["statefulSet"]
    del ours["spec"]["versions"][0]["subresources"]
    facts = ready_cluster(
        crds=tuple(c for c in ready_cluster().crds if c["metadata"]["name"] != "podenis.k8s.ksyun.com") + (ours,)
    )
    check = by_name(cluster_checks(facts))["crd_podeni"]
    assert check.status == BLOCKER
    assert "lacks spec.eipId, spec.statefulSet" in check.found
    assert "no status subresource" in check.found
    assert "belongs to someone else" not in check.found


def test_a_schema_that_keeps_unknown_fields_keeps_the_collections_fields():
    ours = applied(crd("PodEni"))
    ours["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    facts = ready_cluster(
        crds=tuple(c for c in ready_cluster().crds if c["metadata"]["name"] != "podenis.k8s.ksyun.com") + (ours,)
    )
    assert by_name(cluster_checks(facts))["crd_podeni"].status == OK


def test_the_crds_are_checked_in_the_group_of_the_configuration():
    expected = tuple(expected_crd(crd(kind, group="fixed-ip.example.com")) for kind in sorted(KINDS))
    facts = ready_cluster(expected_crds=expected)
    check = by_name(cluster_checks(facts))["crd_podeniip"]
    assert check.status == ABSENT
    assert "no CRD podeniips.fixed-ip.example.com (podeniips.k8s.ksyun.com also defines PodEniIP)" == check.found


def test_a_configuration_the_parser_refuses_is_a_blocker_with_its_message():
    config = ConfigView(
        source="ConfigMap kube-system/ksyun-vpc-cni",
        found=True,
        error="ConfigMap kube-system/ksyun-vpc-cni: key ipRetention has value 'soon'; ...",
    )
    checks = by_name(cluster_checks(ready_cluster(config=config)))
    assert checks["config_map"].status == BLOCKER
    assert "key ipRetention has value 'soon'" in checks["config_map"].found
    assert "zones" not in checks


def test_fixed_ip_off_is_a_warning():
    check = by_name(cluster_checks(ready_cluster(config=dataclasses.replace(CONFIG, fixed_ip=False))))["config_map"]
    assert check.status == WARN and "fixedIpEnabled is false" in check.will_not


def test_a_platform_multus_in_another_namespace_is_left_alone():
    platform = multus_ds(
        namespace="kce-system",
        name="multus",
        image="hub.kce.ksyun.com/mirror/multus-cni:v4.1.0",
        manager="kce-platform",
        labels={"app": "multus"},
    )
    check = by_name(cluster_checks(ready_cluster(daemonsets=(platform,))))["multus"]
    assert check.status == OK
    assert "kce-system/multus (ready 2/2, field manager kce-platform)" in check.found
    assert check.will.startswith("leave it alone")


def test_multus_not_ready_everywhere_is_a_warning():
    check = by_name(cluster_checks(ready_cluster(daemonsets=(multus_ds(ready=1, desired=2),))))["multus"]
    assert check.status == WARN and "ready 1/2" in check.found


def test_a_daemonset_without_a_multus_image_is_not_multus():
    other = multus_ds(name="kube-proxy", image="registry.k8s.io/kube-proxy:v1.31.0")
    check = by_name(cluster_checks(ready_cluster(daemonsets=(other,))))["multus"]
    assert check.status == ABSENT


def test_a_foreign_network_is_left_alone_and_says_who_made_it():
    theirs = foreign(NETWORK, manager="kce-platform")
    check = by_name(cluster_checks(ready_cluster(network=theirs)))["vpc_cni_network"]
    assert check.status == OK
    assert "CNI type ksyun-vpc-cni (field manager kce-platform)" in check.found
    assert "leave it alone" in check.will


def test_nodes_without_the_label_or_resources_are_named():
    nodes = (
        node("10.0.0.47", "cn-beijing-6a"),
        node("10.0.0.50", "cn-beijing-6a", vpc_cni=False, shared=0, exclusive=0),
        node("10.0.0.48", "cn-beijing-6a", exclusive=0),
    )
    checks = by_name(cluster_checks(ready_cluster(nodes=nodes)))
    assert checks["vpc_cni_nodes"].status == OK
    assert (
        "2 of 3 nodes labelled k8s.ksyun.com/vpc-cni=true (cn-beijing-6a: 2); not labelled: 10.0.0.50"
        == checks["vpc_cni_nodes"].found
    )
    assert checks["node_resources"].status == OK
    assert "ksyun/eni on 1 of 2 nodes (3 in all)" in checks["node_resources"].found


def test_no_node_offering_exclusive_enis_is_a_warning_for_that_mode():
    nodes = (node("10.0.0.47", "cn-beijing-6a", exclusive=0), node("10.0.1.47", "cn-beijing-6b", exclusive=0))
    check = by_name(cluster_checks(ready_cluster(nodes=nodes)))["node_resources"]
    assert check.status == WARN
    assert "schedule an exclusive ENI mode pod: no node offers ksyun/eni" in check.will_not


def test_a_zone_with_nodes_but_no_container_subnet_is_a_warning():
    config = dataclasses.replace(CONFIG, pod_subnets={"cn-beijing-6a": (SUBNET_6A,)})
    check = by_name(cluster_checks(ready_cluster(config=config)))["zones"]
    assert check.status == WARN and "in cn-beijing-6b: no container subnet there" in check.will_not


def test_without_mutating_admission_policy_the_zone_guard_is_a_warning():
    check = by_name(cluster_checks(ready_cluster(zone_guard_served=False, zone_guard_policies=())))["zone_guard"]
    assert check.status == WARN and "Kubernetes 1.36" in check.found


SUBNETS = [
    {
        "id": SUBNET_6A,
        "availability_zone": "cn-beijing-6a",
        "cidr_block": "10.0.0.0/24",
        "type": "Normal",
        "vpc_id": VPC,
        "available_ip_count": 200,
        "random_available_ip_count": 198,
    },
    {
        "id": SUBNET_6B,
        "availability_zone": "cn-beijing-6b",
        "cidr_block": "10.0.1.0/24",
        "type": "Normal",
        "vpc_id": VPC,
        "available_ip_count": 0,
        "random_available_ip_count": 0,
    },
]
# One cluster of ksyun.kce.cluster_info.
KCE = {
    "id": "kce-1",
    "vpc_id": VPC,
    "nodes": [{"name": "10.0.0.47"}, {"name": "10.0.1.47"}],
    "vpc_cni": {
        "enabled": True,
        "mode": "shared",
        "daemon_mode": "eniMultiIP",
        "subnet_ids": [SUBNET_6A, SUBNET_6B],
        "security_group_id": GROUP_ID,
    },
}


def test_container_subnets_show_free_ips_and_warn_when_one_is_full():
    (check,) = cloud_checks(CONFIG, subnets=SUBNETS)
    assert check.name == "container_subnets" and check.status == WARN
    assert "cn-beijing-6a: %s (10.0.0.0/24) 200 free IPs, 198 for random allocation" % SUBNET_6A in check.found
    assert "subnet %s has no free IP" % SUBNET_6B in check.will_not


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"id": "gone"}, "subnet %s does not exist in the cloud" % SUBNET_6B),
        (
            {"availability_zone": "cn-beijing-6c"},
            "lists subnet %s under cn-beijing-6b, but it lies in cn-beijing-6c" % SUBNET_6B,
        ),
        ({"type": "Reserve"}, "subnet %s is a Reserve subnet" % SUBNET_6B),
        ({"vpc_id": "other-vpc"}, "subnet %s lies in VPC other-vpc, not the cluster's VPC %s" % (SUBNET_6B, VPC)),
    ],
)
def test_a_container_subnet_the_collection_cannot_use_is_a_blocker(change, reason):
    subnets = [SUBNETS[0], dict(SUBNETS[1], available_ip_count=5, **change)]
    checks = by_name(cloud_checks(CONFIG, kce=KCE, subnets=subnets))
    assert checks["container_subnets"].status == BLOCKER
    assert reason in checks["container_subnets"].found


def test_kce_vpc_cni_in_shared_mode_agrees_with_the_configuration():
    check = by_name(cloud_checks(CONFIG, kce=KCE))["kce_vpc_cni"]
    assert check.status == OK
    assert "shared ENI mode (DaemonMode eniMultiIP)" in check.found
    assert "shared ENI mode (PodEniIP records, ksyun/eni-private-ip per pod)" in check.will
    assert (
        "count on exclusive ENI mode fixed IPs (PodEni records): whether the platform's add-on in DaemonMode eniMultiIP"
        " serves them too is not documented" in check.will_not
    )


def test_kce_vpc_cni_that_disagrees_with_the_configuration_is_a_warning():
    kce = dict(KCE, vpc_cni=dict(KCE["vpc_cni"], mode="exclusive", daemon_mode=None, subnet_ids=[SUBNET_6A]))
    config = dataclasses.replace(CONFIG, daemon_mode="eniMultiIP", mode="shared")
    check = by_name(cloud_checks(config, kce=kce))["kce_vpc_cni"]
    assert check.status == WARN
    assert "whose daemonMode eniMultiIP is shared ENI mode" in check.will_not
    assert "KCE's VpcCNI %s" % SUBNET_6A in check.will_not


def test_kce_vpc_cni_off_is_absent():
    check = by_name(cloud_checks(CONFIG, kce={"id": "kce-1", "vpc_cni": {"enabled": False}}))["kce_vpc_cni"]
    assert (
        check.status == ABSENT
        and "through the KCE API when the vpc_cni role runs with vpc_cni_cluster_id" in check.will
    )


def test_a_kce_cluster_that_shares_no_node_with_the_kubeconfigs_cluster_is_a_blocker():
    check = by_name(cloud_checks(CONFIG, kce=KCE, node_names=["192.168.0.5"]))["kce_vpc_cni"]
    assert check.status == BLOCKER
    assert check.found == "KCE cluster kce-1 has nodes 10.0.0.47, 10.0.1.47, the kubeconfig's cluster 192.168.0.5"
    assert by_name(cloud_checks(CONFIG, kce=KCE, node_names=["10.0.0.47"]))["kce_vpc_cni"].status == OK


def test_audit_findings_are_a_warning_and_nothing_is_repaired():
    audit = {"in_sync": False, "records": 3, "summary": {"record-of-a-gone-pod": 1, "eni-without-record": 0}}
    (check,) = cloud_checks(CONFIG, audit=audit)
    assert check.status == WARN and check.found == "3 records; record-of-a-gone-pod: 1"
    assert "repair anything" in check.will_not


def test_the_report_names_each_blocker_and_prints_a_table():
    checks = [Check("a", OK, "fine", will="go on"), Check("b", BLOCKER, "foreign CRD", will_not="write")]
    out = report(checks, skipped=[{"name": "kce_vpc_cni", "reason": "no id"}])
    assert out["blockers"] == ["b: foreign CRD"]
    assert out["counts"] == {OK: 1, WARN: 0, BLOCKER: 1, ABSENT: 0}
    assert out["table"][0].split() == ["OK", "a", "fine"]
    assert "will not: write" in out["table"][3]
    assert out["table"][-1] == "skipped  kce_vpc_cni: no id"


def test_the_report_refuses_an_unknown_status():
    with pytest.raises(ValueError, match="check x has status 'fine'"):
        report([{"name": "x", "status": "fine", "found": ""}])
