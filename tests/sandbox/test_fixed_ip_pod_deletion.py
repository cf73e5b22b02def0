"""What a pod's deletion does to its IP: a non-fixed IP goes back at once, a fixed IP stays reserved for its pod."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError

pytestmark = pytest.mark.controlplane

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"


def test_a_non_fixed_pod_gets_an_ip_of_its_nodes_subnet_and_the_ip_is_released_at_once_on_deletion(
    cluster, fixed_ip_namespace
):
    ns = fixed_ip_namespace
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("web", node="10.0.0.47"))
    pod = cluster.running(ns, "web")
    ip = pod.status.pod_ip
    assert ip.startswith("10.0.0.") and ip != "10.0.0.47"
    [(kind, name)] = cluster.records(ns)
    record = cluster.records(ns)[(kind, name)]
    assert (kind, name, record.fixed) == ("VpcIP", ip, False), "an ordinary pod's non-fixed IP is recorded by a VpcIP"
    assert ip in cluster.holder(ip)["secondary_ips"]

    cluster.core.delete_namespaced_pod("web", ns)
    cluster.gone(ns, "web", pod.metadata.uid)
    assert cluster.holder(ip) is None, "the IP went back to the subnet"
    assert cluster.allocate_status(ip) == "random", "a non-fixed IP is not kept reserved"
    assert cluster.records(ns) == {}


def _fill_subnet(cluster):
    """Take every address random allocation can still hand out, the way another allocator in the subnet would."""
    filler = cluster.cloud.create_network_interface(SUBNET, [SECURITY_GROUP], name="test-filler")
    while True:
        left = cluster.cloud.get_subnet(SUBNET)["RandomAvailableIpNum"]
        if not left:
            return filler
        cluster.cloud.assign_private_ips(filler, count=min(left, 100))


def test_a_fixed_ip_stays_reserved_in_the_subnet_and_is_never_handed_to_another_pod(cluster, fixed_ip_namespace):
    ns = fixed_ip_namespace
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("db", "shared"))
    first = cluster.running(ns, "db-0")
    ip = first.status.pod_ip
    cluster.apps.patch_namespaced_stateful_set_scale("db", ns, {"spec": {"replicas": 0}})
    cluster.gone(ns, "db-0", first.metadata.uid)
    record = cluster.records(ns)[("PodEniIP", ip)]
    assert (record.phase.value, record.pod_uid, record.released_at is not None) == (
        "Reserved",
        first.metadata.uid,
        True,
    )
    assert cluster.holder(ip) is None and cluster.allocate_status(ip) == "specific"

    filler = _fill_subnet(cluster)
    try:
        taken = cluster.cloud.get_network_interface(filler)
        handed_out = {taken["PrivateIpAddress"]} | {
            item["PrivateIpAddress"] for item in taken["AssignedPrivateIpAddressSet"]
        }
        assert len(handed_out) > 100 and ip not in handed_out, "random allocation never takes the reserved IP"
        with pytest.raises(KsyunApiError) as exhausted:
            cluster.cloud.assign_private_ips(filler, count=1)
        assert exhausted.value.code == "InsufficientFreeAddressesInSubnet"

        cluster.core.create_namespaced_pod(
            ns, cluster.bare_pod("latecomer", mode="shared", fixed=False, node="10.0.0.48")
        )
        reasons = cluster.wait("a Warning that latecomer got no IP", lambda: cluster.warnings(ns, "latecomer"))
        assert reasons[0][0] == "FailedIPAllocation" and "no free IP" in reasons[0][1]
        assert not cluster.pod(ns, "latecomer").status.pod_ip
        assert cluster.holder(ip) is None and cluster.allocate_status(ip) == "specific"
        cluster.core.delete_namespaced_pod("latecomer", ns)
    finally:
        cluster.cloud.delete_network_interface(filler)

    cluster.apps.patch_namespaced_stateful_set_scale("db", ns, {"spec": {"replicas": 1}})
    back = cluster.running(ns, "db-0", other_than=first.metadata.uid)
    assert back.status.pod_ip == ip
