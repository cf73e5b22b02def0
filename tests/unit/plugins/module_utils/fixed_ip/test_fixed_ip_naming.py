# -*- coding: utf-8 -*-
"""ENI names trace back to the cluster and reservation; record labels find a pod's PodEniIP."""

from __future__ import annotations

import re

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import (
    MAX_ENI_NAME,
    exclusive_eni_name,
    is_shared_eni_of,
    label_value,
    parse_eni_name,
    pod_selector,
    reservation_labels,
    shared_eni_name,
)

CLUSTER = "kce-demo"
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")


def test_an_exclusive_eni_is_named_after_its_cluster_namespace_and_pod():
    name = exclusive_eni_name(CLUSTER, "default", "sts-0")
    assert name == "kcefip_kce-demo_ex_default_sts-0"
    parsed = parse_eni_name(name)
    assert (parsed.cluster, parsed.mode, parsed.detail) == (CLUSTER, Mode.EXCLUSIVE, ("default", "sts-0"))


def test_a_shared_eni_is_named_after_its_cluster_node_and_index():
    name = shared_eni_name(CLUSTER, "worker-1", 2)
    assert name == "kcefip_kce-demo_sh_2_worker-1"
    parsed = parse_eni_name(name)
    assert (parsed.cluster, parsed.mode, parsed.detail) == (CLUSTER, Mode.SHARED, ("2", "worker-1"))
    assert is_shared_eni_of(name, CLUSTER, "worker-1")
    assert not is_shared_eni_of(name, CLUSTER, "worker-2") and not is_shared_eni_of(name, "other", "worker-1")


def test_a_namespace_called_shared_is_never_mistaken_for_a_shared_eni():
    name = exclusive_eni_name(CLUSTER, "shared", "node-1")
    assert parse_eni_name(name).mode is Mode.EXCLUSIVE
    assert not is_shared_eni_of(name, CLUSTER, "node-1")


def test_a_node_named_by_its_ip_gets_a_hash_so_dotted_and_dashed_names_never_collide():
    dotted = shared_eni_name(CLUSTER, "10.0.0.47", 0)
    dashed = shared_eni_name(CLUSTER, "10-0-0-47", 0)
    assert dotted != dashed and "." not in dotted
    assert is_shared_eni_of(dotted, CLUSTER, "10.0.0.47") and not is_shared_eni_of(dotted, CLUSTER, "10-0-0-47")
    assert exclusive_eni_name(CLUSTER, "default", "web.0") != exclusive_eni_name(CLUSTER, "default", "web-0")


def test_long_names_are_cut_to_the_limit_with_a_hash_and_stay_unique_and_parseable():
    cluster = "c" * 40
    long_a = exclusive_eni_name(cluster, "n" * 63, "p" * 200 + "a")
    long_b = exclusive_eni_name(cluster, "n" * 63, "p" * 200 + "b")
    assert len(long_a) <= MAX_ENI_NAME and len(long_b) <= MAX_ENI_NAME and long_a != long_b
    assert parse_eni_name(long_a).cluster == cluster and parse_eni_name(long_a).mode is Mode.EXCLUSIVE
    shared = [shared_eni_name(cluster, "node-" + "x" * 250, index) for index in (0, 7, 999)]
    assert all(len(name) <= MAX_ENI_NAME for name in shared) and len(set(shared)) == 3
    assert all(is_shared_eni_of(name, cluster, "node-" + "x" * 250) for name in shared)
    assert exclusive_eni_name(cluster, "n" * 63, "p" * 200 + "a") == long_a


@pytest.mark.parametrize(
    "name",
    [
        "",
        "eni-primary",
        "kcefip_c1",
        "kcefip_c1_zz_a_b",
        "kcefip__ex_a_b",
        "kcefip_c1_sh_x_node",
        "other_c1_ex_a_b",
        "kcefip_c1_sh_1_node_extra",
    ],
)
def test_names_this_collection_did_not_make_do_not_parse(name):
    assert parse_eni_name(name) is None


def test_eni_names_refuse_a_cluster_name_with_the_field_separator():
    with pytest.raises(InvalidSettings, match="'a_b'"):
        exclusive_eni_name("a_b", "default", "sts-0")
    with pytest.raises(ValueError, match="index 1000"):
        shared_eni_name(CLUSTER, "node", 1000)


def test_a_podeniip_is_labelled_so_it_can_be_found_by_pod_and_by_ip():
    record = Reservation("default", "sts-0", Mode.SHARED, ip="10.0.0.236")
    assert reservation_labels(record) == {
        "k8s.ksyun.com/managed-by": "ksyun.kce",
        "k8s.ksyun.com/pod-namespace": "default",
        "k8s.ksyun.com/pod-name": "sts-0",
        "k8s.ksyun.com/eni-mode": "shared",
        "k8s.ksyun.com/pod-ip": "10.0.0.236",
    }
    assert pod_selector("default", "sts-0") == "k8s.ksyun.com/pod-namespace=default,k8s.ksyun.com/pod-name=sts-0"


def test_a_pod_name_too_long_for_a_label_value_gets_a_stable_valid_value():
    name = "web." + "x" * 250
    value = label_value(name)
    assert (
        len(value) <= 63
        and LABEL_VALUE.fullmatch(value)
        and value == label_value(name)
        and value != label_value(name + "y")
    )
    assert label_value("-leading") != "-leading" and LABEL_VALUE.fullmatch(label_value("-leading"))
    assert "k8s.ksyun.com/pod-name=%s" % value in pod_selector("default", name)
