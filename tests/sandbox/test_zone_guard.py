"""The zone guard (role vpc_cni, lookup fixed_ip_zone_guard) on the multi-zone sandbox: the product page's StatefulSet,
applied as the page gives it (no zone of its own), is deleted and re-created ten times and keeps its IP every time.

Each round cordons the node the pod ran on, so the scheduler must choose again between the other nodes of the IP's
zone and the node of the other zone: without the guard it would put the pod in cn-beijing-6b sooner or later, where a
fixed IP of 10.0.0.0/24 cannot follow (the pod then stays without an IP). The YAML has no nodeSelector, so a zone in
the new pod's nodeSelector can only come from the guard.
"""

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.controlplane

SHARED, EXCLUSIVE = "shared", "exclusive"
ZONE_LABEL = "topology.kubernetes.io/zone"
OTHER_ZONE_NODE = "10.0.1.20"
PRODUCT_PAGE = Path(__file__).with_name("product_page_statefulset.yaml")
ROUNDS = 10


def product_page_statefulset(mode, namespace):
    """The page's YAML; exclusive mode as the page says: pod-eni instead of pod-eniip, ksyun/eni instead of
    ksyun/eni-private-ip. Only the namespace is the test's own."""
    body = yaml.safe_load(PRODUCT_PAGE.read_text())
    body["metadata"]["namespace"] = namespace
    template = body["spec"]["template"]
    if mode == EXCLUSIVE:
        annotations = template["metadata"]["annotations"]
        annotations["k8s.ksyun.com/pod-eni"] = annotations.pop("k8s.ksyun.com/pod-eniip")
        resources = template["spec"]["containers"][0]["resources"]
        for part in ("limits", "requests"):
            resources[part] = {"ksyun/eni": resources[part].pop("ksyun/eni-private-ip")}
    assert "nodeSelector" not in template["spec"] and "affinity" not in template["spec"]
    return body


def _cordon(cluster, node, unschedulable):
    cluster.core.patch_node(node, {"spec": {"unschedulable": unschedulable}})


def _zone(cluster, node):
    return cluster.core.read_node(node).metadata.labels[ZONE_LABEL]


@pytest.mark.parametrize("mode", [SHARED, EXCLUSIVE])
def test_the_product_pages_statefulset_keeps_its_ip_through_ten_recreations(cluster, fixed_ip_namespace, mode):
    ns = fixed_ip_namespace
    # The first pod binds in cn-beijing-6a (the zone with several nodes), so every round has a choice to make.
    _cordon(cluster, OTHER_ZONE_NODE, True)
    try:
        cluster.apps.create_namespaced_stateful_set(ns, product_page_statefulset(mode, ns))
        pod = cluster.running(ns, "sts-3-0")
    finally:
        _cordon(cluster, OTHER_ZONE_NODE, False)
    ip, zone = pod.status.pod_ip, _zone(cluster, pod.spec.node_name)
    assert zone == "cn-beijing-6a" and not (pod.spec.node_selector or {}).get(ZONE_LABEL)

    seen = []
    for _round in range(ROUNDS):
        node = pod.spec.node_name
        _cordon(cluster, node, True)
        try:
            cluster.core.delete_namespaced_pod("sts-3-0", ns)
            pod = cluster.running(ns, "sts-3-0", other_than=pod.metadata.uid, timeout=90.0)
        finally:
            _cordon(cluster, node, False)
        seen.append((pod.spec.node_name, pod.status.pod_ip))
        assert pod.status.pod_ip == ip, "round %d: the pod came back with %s, not %s (%s)" % (
            _round + 1,
            pod.status.pod_ip,
            ip,
            seen,
        )
        assert (pod.spec.node_selector or {}).get(ZONE_LABEL) == zone, "the guard gave the pod its IP's zone"
        assert _zone(cluster, pod.spec.node_name) == zone and pod.spec.node_name != node
    assert len({node for node, _ip in seen}) > 1, "the pod moved between nodes of its zone: %s" % seen


def test_a_fixed_ip_pod_without_a_reservation_is_left_as_it_is(cluster, fixed_ip_namespace):
    """A pod asking for a fixed IP for the first time has no record yet: the guard adds nothing, the scheduler
    chooses (and the pod's zone is the one its new reservation records)."""
    created = cluster.core.create_namespaced_pod(fixed_ip_namespace, cluster.bare_pod("first-0", SHARED))
    assert not (created.spec.node_selector or {}).get(ZONE_LABEL)
    assert cluster.running(fixed_ip_namespace, "first-0").status.pod_ip
