"""The product page's demonstration: delete sts-0, and the re-created sts-0 has the same IP, also on another node."""

import pytest

pytestmark = pytest.mark.controlplane

SHARED, EXCLUSIVE = "shared", "exclusive"
NODES = ("10.0.0.47", "10.0.0.48")


def _cordon(cluster, node, unschedulable):
    cluster.core.patch_node(node, {"spec": {"unschedulable": unschedulable}})


@pytest.mark.parametrize("mode", [SHARED, EXCLUSIVE])
def test_sts_0_comes_back_with_the_same_ip_after_deletion_also_on_another_node_of_the_subnet(
    cluster, fixed_ip_namespace, mode
):
    ns = fixed_ip_namespace
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("sts", mode, hosts=NODES))
    first = cluster.running(ns, "sts-0")
    ip, node = first.status.pod_ip, first.spec.node_name
    kind = "PodEniIP" if mode == SHARED else "PodEni"
    record = cluster.records(ns)[(kind, ip if mode == SHARED else "sts-0")]
    assert (record.ip, record.node_name, record.fixed, record.phase.value) == (ip, node, True, "Bound")
    holder = cluster.holder(ip)
    assert holder["instance_id"] == cluster.NODE_INSTANCES[node]
    if mode == SHARED:
        assert ip in holder["secondary_ips"] and holder["name"].startswith("kcefip_sandbox_sh_")
    else:
        assert (
            ip == holder["primary_ip"]
            and holder["name"] == f"kcefip_sandbox_ex_{ns}_sts-0"
            and record.eni_id == holder["id"]
        )

    cluster.core.delete_namespaced_pod("sts-0", ns)
    again = cluster.running(ns, "sts-0", other_than=first.metadata.uid)
    assert again.status.pod_ip == ip
    assert cluster.holder(ip)["id"] == holder["id"] or mode == SHARED and again.spec.node_name != node

    moved_from = again.spec.node_name
    _cordon(cluster, moved_from, True)
    try:
        cluster.core.delete_namespaced_pod("sts-0", ns)
        moved = cluster.running(ns, "sts-0", other_than=again.metadata.uid)
    finally:
        _cordon(cluster, moved_from, False)
    assert moved.spec.node_name != moved_from and moved.spec.node_name in NODES
    assert moved.status.pod_ip == ip
    now = cluster.holder(ip)
    assert now["instance_id"] == cluster.NODE_INSTANCES[moved.spec.node_name]
    if mode == EXCLUSIVE:
        assert now["id"] == holder["id"], "exclusive mode keeps the pod's own ENI across nodes"
    record = cluster.records(ns)[(kind, ip if mode == SHARED else "sts-0")]
    assert (record.pod_uid, record.node_name, record.phase.value) == (moved.metadata.uid, moved.spec.node_name, "Bound")
    assert cluster.allocate_status(ip) == "random", "a bound IP is no longer reserved"
