"""A sandbox node counts its ENI slots like a device plugin: ksyun/eni and ksyun/eni-private-ip follow the cloud.

ENIs attached out of band (through the official SDK, as another tool on the node's instance would) take the node's
ENI slots; its allocatable drops, so the scheduler sends the next fixed-IP pod to another node instead of to a node
where the bind can only fail; detaching them gives the slots back. A pod that requests a resource and holds a slot is
not counted twice: its request is what the scheduler subtracts (sandbox/node_agent/devices.py, docs/sandbox.md).

The ENIs are named test-filler, so Baseline.free_cloud removes them should a run crash before the test does.
"""

import pytest
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, is_quota_exceeded
from sandbox.node_agent.devices import CALLER

pytestmark = pytest.mark.controlplane

SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
ENI, IP = "ksyun/eni", "ksyun/eni-private-ip"
FULL_NODE = "10.0.0.48"  # N3.2B: 4 ENIs (the primary one counts), 10 IPs per ENI (its primary IP counts)
TINY_NODE = "10.0.0.49"  # N3.1A: 2 ENIs, 3 IPs per ENI
MOST_ENIS = 8  # more than any instance type of the topology takes


def devices(cluster, node):
    """{resource: (capacity, allocatable)} as the node's status shows them."""
    status = cluster.core.read_node(node).status
    return {name: (int(status.capacity[name]), int(status.allocatable[name])) for name in (ENI, IP)}


def shows(cluster, node, **allocatable):
    """Wait until the node's allocatable is as given (eni=, ip=) and return its devices."""
    wanted = {ENI: allocatable.get("eni"), IP: allocatable.get("ip")}

    def matches():
        now = devices(cluster, node)
        return now if all(value is None or now[name][1] == value for name, value in wanted.items()) else None

    return cluster.wait(f"node {node} showing allocatable {wanted}", matches, timeout=60)


def attach_until_full(cluster, node, attached):
    """Attach new ENIs to the node's instance until the cloud refuses one for its quota; attached: the ENIs attached."""
    instance = cluster.NODE_INSTANCES[node]
    for _attempt in range(MOST_ENIS):
        eni = cluster.cloud.create_network_interface(cluster.SUBNET_6A, [SECURITY_GROUP], name="test-filler")
        try:
            cluster.cloud.attach_network_interface(instance, eni)
        except KsyunApiError as err:
            cluster.cloud.delete_network_interface(eni)
            if is_quota_exceeded(err):
                return
            raise
        attached.append(eni)
        cluster.cloud.wait_network_interface(eni, instance, timeout=30, interval=0.1)
    raise AssertionError(f"the cloud took {MOST_ENIS} ENIs on node {node} without refusing one")


def detach_and_delete(cluster, node, enis):
    for eni in enis:
        cluster.cloud.detach_network_interface(cluster.NODE_INSTANCES[node], eni)
        cluster.cloud.wait_network_interface(eni, None, timeout=30, interval=0.1)
        cluster.cloud.delete_network_interface(eni)


def pinned_pod(cluster, name, mode, node):
    """An ownerless fixed-IP pod (like a static pod) that may run on node only."""
    template = cluster.pod_template(mode, hosts=[node])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": dict(template["metadata"], name=name),
        "spec": template["spec"],
    }


def unschedulable(cluster, namespace, name):
    """The scheduler's message while the pod is Unschedulable, else None."""
    try:
        pod = cluster.core.read_namespaced_pod(name, namespace)
    except ApiException as err:
        if err.status == 404:
            return None
        raise
    return next(
        (
            c.message
            for c in pod.status.conditions or []
            if c.type == "PodScheduled" and c.status == "False" and c.reason == "Unschedulable"
        ),
        None,
    )


def test_enis_attached_out_of_band_fill_a_nodes_slots_and_an_exclusive_pod_of_its_zone_runs_on_another_node(
    cluster, fixed_ip_namespace
):
    ns = fixed_ip_namespace
    empty = shows(cluster, FULL_NODE, eni=3, ip=27)
    assert empty == {ENI: (3, 3), IP: (27, 27)}, "an empty N3.2B: 3 ENIs beside the primary one, 9 pod IPs on each"
    plugin_before = cluster.admin.counters(caller=CALLER)
    fillers = []
    try:
        attach_until_full(cluster, FULL_NODE, fillers)
        assert len(fillers) == 3, "the cloud refused the fourth ENI beside the primary one"
        assert shows(cluster, FULL_NODE, eni=0, ip=0) == {
            ENI: (3, 0),
            IP: (27, 0),
        }, "no ENI slot left, and no ENI there carries pod IPs: capacity stays, allocatable is 0"
        plugin_after = cluster.admin.counters(caller=CALLER)
        assert plugin_after["total_writes"] == plugin_before["total_writes"] == 0, "the device plugin only reads"
        new_reads = {
            action: count - plugin_before["reads"].get(action, 0)
            for action, count in plugin_after["reads"].items()
            if count != plugin_before["reads"].get(action, 0)
        }
        assert set(new_reads) == {"DescribeNetworkInterfaces"}, f"a resync is one paged describe: {new_reads}"

        # A pod that may run only on the full node waits for a slot there, and the scheduler says why.
        cluster.core.create_namespaced_pod(ns, pinned_pod(cluster, "pinned", "exclusive", FULL_NODE))
        message = cluster.wait("pinned reported unschedulable", lambda: unschedulable(cluster, ns, "pinned"))
        assert f"Insufficient {ENI}" in message, message

        # The product page's StatefulSet, kept in the zone and preferring the full node, runs on another node.
        sts = cluster.statefulset("db", "exclusive")
        sts["spec"]["template"]["spec"]["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 100,
                        "preference": {
                            "matchExpressions": [
                                {"key": "kubernetes.io/hostname", "operator": "In", "values": [FULL_NODE]}
                            ]
                        },
                    }
                ]
            }
        }
        cluster.apps.create_namespaced_stateful_set(ns, sts)
        db = cluster.running(ns, "db-0")
        node = cluster.core.read_node(db.spec.node_name)
        assert db.spec.node_name != FULL_NODE and node.metadata.labels["topology.kubernetes.io/zone"] == "cn-beijing-6a"
        record = cluster.records(ns)[("PodEni", "db-0")]
        assert (record.phase.value, record.node_name, record.ip) == ("Bound", db.spec.node_name, db.status.pod_ip)
        assert not cluster.warnings(ns, "db-0"), "no failed bind on the way"
        assert unschedulable(cluster, ns, "pinned"), "the full node still takes no exclusive pod"
    finally:
        detach_and_delete(cluster, FULL_NODE, fillers)

    # The slots come back: the waiting pod is scheduled to the node and runs there, on an ENI of its own.
    pinned = cluster.running(ns, "pinned", timeout=90)
    assert pinned.spec.node_name == FULL_NODE
    held = cluster.holder(pinned.status.pod_ip)
    assert held["instance_id"] == cluster.NODE_INSTANCES[FULL_NODE] and held["primary_ip"] == pinned.status.pod_ip
    # Its ENI is its request's slot: allocatable keeps it, the scheduler subtracts the request (not counted twice);
    # shared-mode pods, which request IPs, have one ENI slot less for their ENIs.
    assert shows(cluster, FULL_NODE, eni=3, ip=2 * 9) == {ENI: (3, 3), IP: (27, 18)}


def test_an_eni_attached_out_of_band_to_the_tiny_node_leaves_no_room_for_shared_pod_ips_until_it_is_detached(
    cluster, fixed_ip_namespace
):
    ns = fixed_ip_namespace
    assert shows(cluster, TINY_NODE, eni=1, ip=2) == {ENI: (1, 1), IP: (2, 2)}, "N3.1A: 1 ENI slot, 2 pod IPs on it"
    fillers = []
    try:
        attach_until_full(cluster, TINY_NODE, fillers)
        assert len(fillers) == 1
        assert shows(cluster, TINY_NODE, eni=0, ip=0) == {ENI: (1, 0), IP: (2, 0)}
        cluster.core.create_namespaced_pod(ns, pinned_pod(cluster, "tiny", "shared", TINY_NODE))
        message = cluster.wait("tiny reported unschedulable", lambda: unschedulable(cluster, ns, "tiny"))
        assert f"Insufficient {IP}" in message, message
    finally:
        detach_and_delete(cluster, TINY_NODE, fillers)

    tiny = cluster.running(ns, "tiny", timeout=90)
    shared = cluster.holder(tiny.status.pod_ip)
    assert tiny.spec.node_name == TINY_NODE and shared["name"].startswith("kcefip_sandbox_sh_")
    # The pod's IP is its request's slot (allocatable keeps it); the shared ENI it sits on takes the only ENI slot,
    # which no pod requesting ksyun/eni holds.
    assert shows(cluster, TINY_NODE, eni=0, ip=2) == {ENI: (1, 0), IP: (2, 2)}
