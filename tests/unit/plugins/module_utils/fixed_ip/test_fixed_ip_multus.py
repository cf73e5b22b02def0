# -*- coding: utf-8 -*-
"""The multus role's decision: leave an existing multus and vpc-cni network alone, refuse to take over someone else's
objects, install the rest."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.multus import install_choice, plan_multus
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.ownership import (
    image_name,
    is_ours,
    managers,
    runs_multus,
)

LABELS = {"app.kubernetes.io/part-of": "ksyun.kce"}
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "network-attachment-definitions.k8s.cni.cncf.io", "labels": LABELS},
}
DS = {
    "apiVersion": "apps/v1",
    "kind": "DaemonSet",
    "metadata": {"name": "kube-multus-ds", "namespace": "kube-system", "labels": LABELS},
    "spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4-thick"}]}}},
}
NAD = {
    "apiVersion": "k8s.cni.cncf.io/v1",
    "kind": "NetworkAttachmentDefinition",
    "metadata": {"name": "vpc-cni", "namespace": "kube-system", "labels": LABELS},
}
OBJECTS = [CRD, DS, NAD]


def theirs(obj, manager="kubectl-client-side-apply"):
    return {**obj, "metadata": {**obj["metadata"], "labels": {}, "managedFields": [{"manager": manager}]}}


def ours_by_manager(obj):
    return {**obj, "metadata": {**obj["metadata"], "labels": {}, "managedFields": [{"manager": "ksyun.kce"}]}}


def names(objects):
    return [obj["kind"] for obj in objects]


def test_auto_on_a_bare_cluster_installs_everything():
    plan = plan_multus(OBJECTS, [None, None, None], daemonsets=[], install="auto")
    assert names(plan["apply"]) == ["CustomResourceDefinition", "DaemonSet", "NetworkAttachmentDefinition"]
    assert plan["refused"] == [] and plan["left_alone"] == [] and plan["message"] == ""


def test_auto_keeps_the_collections_own_install_up_to_date():
    plan = plan_multus(OBJECTS, [CRD, DS, ours_by_manager(NAD)], daemonsets=[DS], install="auto")
    assert names(plan["apply"]) == names(OBJECTS)
    assert plan["multus"][0]["ours"] is True


def test_auto_leaves_a_platform_multus_and_its_network_alone():
    platform = theirs({**DS, "metadata": {"name": "multus", "namespace": "kce-system"}}, manager="kce-platform")
    plan = plan_multus(OBJECTS, [theirs(CRD), None, theirs(NAD, "kce-platform")], daemonsets=[platform], install="auto")
    assert plan["apply"] == [] and plan["refused"] == []
    assert [item["object"] for item in plan["left_alone"]] == [
        "CustomResourceDefinition network-attachment-definitions.k8s.cni.cncf.io",
        "DaemonSet kube-system/kube-multus-ds",
        "NetworkAttachmentDefinition kube-system/vpc-cni",
    ]
    assert (
        "multus runs already: kce-system/multus (ready 0/0, field manager kce-platform)" in plan["left_alone"][0]["why"]
    )
    assert "created by someone else (field manager kce-platform)" in plan["left_alone"][2]["why"]


def test_auto_adds_the_network_beside_a_platform_multus_that_lacks_it():
    platform = theirs(DS, manager="kce-platform")
    plan = plan_multus(OBJECTS, [theirs(CRD), platform, None], daemonsets=[platform], install="auto")
    assert names(plan["apply"]) == ["NetworkAttachmentDefinition"]


def test_a_foreign_object_where_multus_would_be_installed_is_refused_naming_its_manager():
    plan = plan_multus(OBJECTS, [theirs(CRD, "helm"), None, None], daemonsets=[], install="auto")
    assert plan["apply"] == [CRD, DS, NAD][1:]
    assert plan["refused"] == [
        "CustomResourceDefinition network-attachment-definitions.k8s.cni.cncf.io exists and was not created by "
        "ksyun.kce (field manager helm, no label app.kubernetes.io/part-of=ksyun.kce)"
    ]
    assert "multus_take_over: true" in plan["message"] and "Nothing was applied" in plan["message"]


def test_take_over_applies_over_foreign_objects():
    plan = plan_multus(OBJECTS, [theirs(CRD, "helm"), None, None], daemonsets=[], install="auto", take_over=True)
    assert names(plan["apply"]) == names(OBJECTS) and plan["refused"] == []


def test_true_installs_even_beside_another_multus_but_still_refuses_to_take_over():
    platform = theirs(DS, manager="kce-platform")
    plan = plan_multus(OBJECTS, [None, platform, None], daemonsets=[platform], install=True)
    assert names(plan["apply"]) == ["CustomResourceDefinition", "NetworkAttachmentDefinition"]
    assert plan["refused"][0].startswith("DaemonSet kube-system/kube-multus-ds exists")
    assert plan["multus"] == [], "true does not look for other multus DaemonSets"


def test_false_applies_nothing():
    plan = plan_multus(OBJECTS, [None, None, None], install=False)
    assert plan["apply"] == [] and len(plan["left_alone"]) == 3


@pytest.mark.parametrize(
    "value, choice", [("auto", "auto"), (True, "true"), ("yes", "true"), (False, "false"), ("no", "false")]
)
def test_install_words(value, choice):
    assert install_choice(value) == choice


def test_an_unknown_install_word_is_refused_by_name():
    with pytest.raises(InvalidSettings, match="multus_install is 'maybe'; use auto"):
        install_choice("maybe")


def test_the_managers_of_a_status_subresource_are_not_owners():
    crd = theirs(CRD, "kce-vpc-cni")
    crd["metadata"]["managedFields"].append({"manager": "kube-apiserver", "subresource": "status"})
    assert managers(crd) == ["kce-vpc-cni"]


def test_what_counts_as_multus_and_as_ours():
    assert image_name("hub.kce.ksyun.com/mirror/multus-cni@sha256:abc") == "multus-cni"
    assert runs_multus(DS)
    assert not runs_multus({"spec": {"template": {"spec": {"containers": [{"image": "multus-registry.io/proxy:1"}]}}}})
    assert is_ours(ours_by_manager(NAD)) and is_ours(NAD) and not is_ours(theirs(NAD))
