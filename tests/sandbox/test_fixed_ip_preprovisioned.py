"""A reservation made before its pod exists (a PodEniIP with a chosen IP, the IP reserved in the subnet) is the pod's IP."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation

pytestmark = pytest.mark.controlplane


def test_a_pre_provisioned_reservation_with_a_chosen_ip_is_the_ip_the_pod_gets(cluster, fixed_ip_namespace):
    ns = fixed_ip_namespace
    free = cluster.cloud.describe_subnet_available_addresses(cluster.SUBNET_6A, page_size=1000)
    chosen = free[len(free) // 2]
    cluster.store.create(
        Reservation(
            namespace=ns,
            pod_name="pinned-0",
            mode=Mode.SHARED,
            fixed=True,
            ip=chosen,
            subnet_id=cluster.SUBNET_6A,
            zone="cn-beijing-6a",
            phase=Phase.RESERVED,
        )
    )
    cluster.cloud.reserve_private_ip(cluster.SUBNET_6A, chosen)
    assert cluster.allocate_status(chosen) == "specific"

    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("pinned", "shared"))
    pod = cluster.running(ns, "pinned-0")
    assert pod.status.pod_ip == chosen
    record = cluster.records(ns)[("PodEniIP", chosen)]
    assert (record.pod_uid, record.phase.value, record.node_name) == (pod.metadata.uid, "Bound", pod.spec.node_name)
    assert chosen in cluster.holder(chosen)["secondary_ips"] and cluster.allocate_status(chosen) == "random"
    assert len(cluster.records(ns)) == 1
