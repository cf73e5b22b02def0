"""Shared mode, step 5: use the node's ENI of the subnet while it has a free IP slot, else create and attach one."""

import pytest

pytestmark = pytest.mark.controlplane


def _ours_on(cluster, node):
    """The cluster's shared ENIs attached to the node, by id."""
    instance = cluster.NODE_INSTANCES[node]
    return {
        e["id"]: e
        for e in cluster.enis().values()
        if e["instance_id"] == instance and e["name"].startswith("kcefip_sandbox_sh_")
    }


def test_a_tiny_node_shares_one_eni_until_its_ip_slots_are_used_and_refuses_an_eni_beyond_its_type(
    cluster, fixed_ip_namespace
):
    ns, node = fixed_ip_namespace, "10.0.0.49"
    before = _ours_on(cluster, node)
    assert all(
        not e["secondary_ips"] for e in before.values()
    ), "no pod of an earlier test holds an IP on node 10.0.0.49"
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("tiny-a", mode="shared", node=node))
    ip_a = cluster.running(ns, "tiny-a").status.pod_ip
    [eni] = _ours_on(cluster, node).values()
    assert eni["secondary_ips"] == [ip_a] and eni["primary_ip"] != ip_a
    assert set(before) <= {eni["id"]}, "with no ENI of the subnet on the node, one is created and attached"

    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("tiny-b", mode="shared", node=node))
    ip_b = cluster.running(ns, "tiny-b").status.pod_ip
    assert _ours_on(cluster, node) == {
        eni["id"]: dict(eni, secondary_ips=[ip_a, ip_b])
    }, "the ENI with a free slot is reused"

    # N3.1A: 2 ENIs (the primary counts) and 3 IPs per ENI (its primary IP counts): the node is full.
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("tiny-c", mode="shared", node=node))
    warnings = cluster.wait("a Warning that tiny-c got no IP", lambda: cluster.warnings(ns, "tiny-c"))
    assert warnings[0][0] == "FailedIPAllocation" and "2 of 2 ENIs" in warnings[0][1] and "N3.1A" in warnings[0][1]
    assert list(_ours_on(cluster, node)) == [eni["id"]]


def test_a_full_shared_eni_makes_the_next_pod_get_a_new_eni_on_the_node(cluster, fixed_ip_namespace):
    ns, node = fixed_ip_namespace, "10.0.0.48"
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("fill-0", mode="shared", fixed=False, node=node))
    cluster.running(ns, "fill-0")
    existing = _ours_on(cluster, node)
    slots = 10 - 1  # N3.2B: 10 IPs per ENI, one of them the ENI's primary IP
    free = sum(slots - len(e["secondary_ips"]) for e in existing.values())
    assert 0 <= free < slots * len(existing)
    for number in range(1, free + 1):
        cluster.core.create_namespaced_pod(
            ns, cluster.bare_pod(f"fill-{number}", mode="shared", fixed=False, node=node)
        )
        cluster.running(ns, f"fill-{number}")
    full = _ours_on(cluster, node)
    assert set(full) == set(existing) and all(
        len(e["secondary_ips"]) == slots for e in full.values()
    ), "free slots are used first"

    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("overflow", mode="shared", fixed=False, node=node))
    ip = cluster.running(ns, "overflow").status.pod_ip
    after = _ours_on(cluster, node)
    [new] = set(after) - set(existing)
    assert after[new]["secondary_ips"] == [ip] and after[new]["subnet_id"] == cluster.SUBNET_6A

    cluster.forget(ns)
    cluster.cloud.detach_network_interface(cluster.NODE_INSTANCES[node], new)
    cluster.cloud.wait_network_interface(new, None, timeout=30, interval=0.1)
    cluster.cloud.delete_network_interface(new)
