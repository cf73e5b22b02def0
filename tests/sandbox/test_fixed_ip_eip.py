"""A fixed-IP pod with an elastic public IP: deleted and re-created on another node, it has the same private IP and the
same EIP, associated again with wherever the IP landed (both ENI modes, both settings of the unknown cloud behaviour).
"""

import dataclasses

import pytest

pytestmark = pytest.mark.controlplane

SHARED, EXCLUSIVE = "shared", "exclusive"
NODES = ("10.0.0.47", "10.0.0.48")


def _cordon(cluster, node, unschedulable):
    cluster.core.patch_node(node, {"spec": {"unschedulable": unschedulable}})


def _eip(cluster, allocation_id):
    return cluster.cloud.get_address(allocation_id)


@pytest.mark.parametrize("follows", [False, True], ids=["association-drops", "association-follows"])
@pytest.mark.parametrize("mode", [SHARED, EXCLUSIVE])
def test_a_fixed_ip_pod_moved_to_another_node_keeps_its_ip_and_its_eip(cluster, fixed_ip_namespace, mode, follows):
    ns = fixed_ip_namespace
    cluster.admin.settings(eip_follows_private_ip=follows)
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("web", mode, hosts=NODES))
    first = cluster.running(ns, "web-0")
    ip, node = first.status.pod_ip, first.spec.node_name
    holder = cluster.holder(ip)
    made = cluster.cloud.allocate_address(band_width=1)
    allocation_id = made["AllocationId"]
    try:
        cluster.cloud.associate_address(allocation_id, holder["instance_id"], holder["id"], ip)
        [stored] = cluster.store.list(namespace=ns)
        cluster.store.update(stored, dataclasses.replace(stored.reservation, eip_id=allocation_id))

        cluster.admin.reset_counters()
        _cordon(cluster, node, True)
        try:
            cluster.core.delete_namespaced_pod("web-0", ns)
            moved = cluster.running(ns, "web-0", other_than=first.metadata.uid)
        finally:
            _cordon(cluster, node, False)
        assert moved.spec.node_name != node and moved.status.pod_ip == ip
        now = cluster.holder(ip)
        eip = _eip(cluster, allocation_id)
        assert (eip["State"], eip["PublicIp"], eip["PrivateIpAddress"]) == ("associate", made["PublicIp"], ip)
        assert (eip["NetworkInterfaceId"], eip["InstanceId"]) == (
            now["id"],
            cluster.NODE_INSTANCES[moved.spec.node_name],
        )
        [(kind, name)] = cluster.records(ns)
        assert cluster.records(ns)[(kind, name)].eip_id == allocation_id
        writes = cluster.admin.counters(caller="sandbox")["writes"]
        # Dropped with the IP: bind associates it once; followed: it is where it belongs, bind sends nothing for it.
        assert writes.get("AssociateAddress", 0) == (0 if follows else 1), writes
        assert "DisassociateAddress" not in writes, writes
    finally:
        if (_eip(cluster, allocation_id) or {}).get("State") == "associate":
            cluster.cloud.disassociate_address(allocation_id)
        cluster.cloud.release_address(allocation_id)


@pytest.mark.parametrize("fault", ["drop", "drop_after"])
@pytest.mark.parametrize("mode", [SHARED, EXCLUSIVE])
def test_a_failed_eip_write_of_a_rebind_is_planned_again_and_converges(cluster, fixed_ip_namespace, mode, fault):
    """The answer of the rebind's AssociateAddress is lost, before ("drop") or after ("drop_after") it ran: the flow's
    next round reads the EIP again and ends with it on the IP, associated once."""
    ns = fixed_ip_namespace
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("web", mode, hosts=NODES))
    first = cluster.running(ns, "web-0")
    ip, node = first.status.pod_ip, first.spec.node_name
    holder = cluster.holder(ip)
    allocation_id = cluster.cloud.allocate_address(band_width=1)["AllocationId"]
    try:
        cluster.cloud.associate_address(allocation_id, holder["instance_id"], holder["id"], ip)
        [stored] = cluster.store.list(namespace=ns)
        cluster.store.update(stored, dataclasses.replace(stored.reservation, eip_id=allocation_id))
        cluster.admin.reset_counters()
        cluster.admin.faults(fail_nth=[{"nth": 1, "action": "AssociateAddress", "mode": fault}])
        _cordon(cluster, node, True)
        try:
            cluster.core.delete_namespaced_pod("web-0", ns)
            moved = cluster.running(ns, "web-0", other_than=first.metadata.uid, timeout=90)
        finally:
            _cordon(cluster, node, False)
        assert moved.status.pod_ip == ip and moved.spec.node_name != node
        eip = _eip(cluster, allocation_id)
        assert (eip["State"], eip["NetworkInterfaceId"], eip["PrivateIpAddress"]) == (
            "associate",
            cluster.holder(ip)["id"],
            ip,
        )
        counters = cluster.admin.counters(caller="sandbox")
        # The lost call, then one more only when it had not run.
        assert counters["writes"]["AssociateAddress"] == (2 if fault == "drop" else 1), counters
        assert counters["faults"] == {fault: 1}, counters
    finally:
        if (_eip(cluster, allocation_id) or {}).get("State") == "associate":
            cluster.cloud.disassociate_address(allocation_id)
        cluster.cloud.release_address(allocation_id)
