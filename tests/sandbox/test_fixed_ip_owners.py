"""Only StatefulSet and static (ownerless) pods may hold a fixed IP; any other pod that asks gets a non-fixed IP and a Warning."""

import pytest

pytestmark = pytest.mark.controlplane


def test_a_deployment_pod_asking_for_a_fixed_ip_gets_a_non_fixed_ip_and_a_warning_event(cluster, fixed_ip_namespace):
    ns = fixed_ip_namespace
    labels = {"ksyun-app": "web"}
    template = cluster.pod_template(
        "shared", labels=labels, node_selector={"topology.kubernetes.io/zone": "cn-beijing-6a"}
    )
    cluster.apps.create_namespaced_deployment(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template},
        },
    )
    pod = cluster.wait("the Deployment's pod", lambda: next(iter(cluster.core.list_namespaced_pod(ns).items), None))
    name = pod.metadata.name
    running = cluster.running(ns, name)
    ip = running.status.pod_ip
    record = cluster.records(ns)[("VpcIP", ip)]
    assert (record.fixed, record.phase.value, record.pod_name) == (False, "Bound", name)
    warnings = cluster.wait("a Warning event on the pod", lambda: cluster.warnings(ns, name))
    assert warnings[0][0] == "FixedIPNotSupported"
    assert "only supported for StatefulSet and static pods" in warnings[0][1] and "ReplicaSet" in warnings[0][1]

    cluster.apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 0}})
    cluster.gone(ns, name, running.metadata.uid)
    assert cluster.holder(ip) is None and cluster.allocate_status(ip) == "random", "a non-fixed IP is released at once"
    assert cluster.records(ns) == {}
