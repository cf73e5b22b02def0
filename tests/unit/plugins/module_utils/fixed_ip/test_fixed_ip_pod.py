# -*- coding: utf-8 -*-
"""What a pod asks for, read from the annotations and resources of the product page's YAML."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidPodRequest
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import PodRequest, pod_request
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import PodSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim


def plain_pod(annotations=None, resources=None, owner_kind="StatefulSet"):
    return PodSnapshot(
        "default",
        "sts-0",
        "uid-1",
        owner_kind=owner_kind,
        annotations=annotations or {},
        resource_requests=resources or {},
    )


def test_the_product_pages_shared_sample_asks_for_a_fixed_shared_ip():
    assert pod_request(sim.sts_pod(mode=Mode.SHARED)) == PodRequest(Mode.SHARED, True, ())


def test_the_product_pages_exclusive_sample_asks_for_a_fixed_exclusive_eni():
    assert pod_request(sim.sts_pod(mode=Mode.EXCLUSIVE)) == PodRequest(Mode.EXCLUSIVE, True, ())


def test_a_vpc_cni_pod_without_pod_ip_fixed_asks_for_a_non_fixed_ip():
    assert pod_request(sim.sts_pod(fixed=False)).fixed is False


def test_an_ordinary_pod_asks_for_nothing():
    assert pod_request(plain_pod()) == PodRequest()
    assert pod_request(plain_pod({"k8s.ksyun.com/pod-eniip": "false"})) == PodRequest()


def test_annotation_values_are_read_case_insensitively():
    pod = plain_pod(
        {
            "k8s.ksyun.com/pod-eni": "True",
            "k8s.ksyun.com/pod-ip-fixed": "TRUE",
            "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
        },
        {"ksyun/eni": 1},
    )
    assert pod_request(pod) == PodRequest(Mode.EXCLUSIVE, True, ())


@pytest.mark.parametrize(
    "annotations, resources, hints",
    [
        (
            {"k8s.ksyun.com/pod-eniip": "true", "k8s.ksyun.com/pod-eni": "true"},
            {"ksyun/eni": "1"},
            ["both shared ENI mode", "set only one"],
        ),
        (
            {"k8s.ksyun.com/pod-eniip": "true"},
            {"ksyun/eni": "1"},
            ["shared ENI mode", "requests ksyun/eni,", 'request ksyun/eni-private-ip: "1" instead'],
        ),
        (
            {"k8s.ksyun.com/pod-eni": "true"},
            {"ksyun/eni-private-ip": "1"},
            ["exclusive ENI mode", "requests ksyun/eni-private-ip", 'request ksyun/eni: "1" instead'],
        ),
        ({"k8s.ksyun.com/pod-eni": "true"}, {}, ["requests ksyun/eni: 0", 'exactly "1"']),
        (
            {"k8s.ksyun.com/pod-eniip": "true"},
            {"ksyun/eni-private-ip": "2"},
            ["ksyun/eni-private-ip: '2'", 'exactly "1"'],
        ),
        ({"k8s.ksyun.com/pod-eniip": "true"}, {"ksyun/eni-private-ip": "one"}, ["'one' is not a whole number"]),
        ({"k8s.ksyun.com/pod-ip-fixed": "true"}, {}, ["pod-ip-fixed", "no VPC-CNI mode", "pod-eniip", "pod-eni"]),
        ({}, {"ksyun/eni": "1"}, ["requests ksyun/eni but has no k8s.ksyun.com/pod-eni"]),
        (
            {"k8s.ksyun.com/pod-eniip": "yes"},
            {"ksyun/eni-private-ip": "1"},
            ["k8s.ksyun.com/pod-eniip: 'yes'", '"true" or "false"'],
        ),
        (
            {"k8s.ksyun.com/pod-eniip": "true", "k8s.ksyun.com/pod-ip-fixed": "1"},
            {"ksyun/eni-private-ip": "1"},
            ["pod-ip-fixed: '1'"],
        ),
    ],
)
def test_a_contradictory_pod_is_refused_naming_the_annotation_and_what_to_do(annotations, resources, hints):
    with pytest.raises(InvalidPodRequest) as err:
        pod_request(plain_pod(annotations, resources))
    message = str(err.value)
    assert "default/sts-0" in message
    for hint in hints:
        assert hint in message


@pytest.mark.parametrize("owner_kind", ["StatefulSet", "Node", None])
def test_statefulset_and_static_pods_may_hold_a_fixed_ip(owner_kind):
    request = pod_request(sim.sts_pod(owner_kind=owner_kind))
    assert request.fixed is True and request.warnings == ()


@pytest.mark.parametrize("owner_kind", ["ReplicaSet", "DaemonSet", "Job"])
def test_other_workloads_asking_for_a_fixed_ip_get_a_non_fixed_ip_and_a_warning(owner_kind):
    request = pod_request(sim.sts_pod(owner_kind=owner_kind))
    assert request.mode is Mode.SHARED and request.fixed is False
    assert request.warnings == (
        "fixed IP is only supported for StatefulSet and static pods; %s pod default/sts-0 got a non-fixed IP"
        % owner_kind,
    )


def test_a_pod_not_routed_to_vpc_cni_by_multus_gets_a_warning():
    pod = plain_pod({"k8s.ksyun.com/pod-eniip": "true"}, {"ksyun/eni-private-ip": "1"})
    (warning,) = pod_request(pod).warnings
    assert "v1.multus-cni.io/default-network is None, not 'kube-system/vpc-cni'" in warning
