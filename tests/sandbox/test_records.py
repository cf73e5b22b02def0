"""PodEni / PodEniIP records on the real apiserver: schema, status subresource, optimistic concurrency."""

import datetime

import pytest
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import RecordConflict, ReservationStore

pytestmark = pytest.mark.controlplane

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
GROUP = "records-test.ksyun.com"


@pytest.fixture(scope="module")
def store(kube, wait_for):
    ext = client.ApiextensionsV1Api(kube)
    for kind in ("PodEni", "PodEniIP"):
        try:
            ext.create_custom_resource_definition(crd(kind, group=GROUP))
        except ApiException as e:
            if e.status != 409:
                raise
        wait_for(
            f"{kind} Established",
            lambda k=kind: any(
                c.type == "Established" and c.status == "True"
                for c in ext.read_custom_resource_definition(crd(k, group=GROUP)["metadata"]["name"]).status.conditions
                or []
            ),
        )
    return ReservationStore(dynamic.DynamicClient(kube), group=GROUP)


def shared(namespace, **changes):
    base = dict(
        namespace=namespace,
        pod_name="sts-0",
        mode=Mode.SHARED,
        pod_uid="uid-1",
        fixed=True,
        ip="10.0.0.236",
        subnet_id=SUBNET,
        zone="cn-beijing-6a",
        retention=Retention.parse("24h"),
        phase=Phase.BINDING,
    )
    base.update(changes)
    return Reservation(**base)


def test_a_podeniip_is_named_after_its_ip_and_found_by_its_pod(store, namespace):
    stored = store.create(shared(namespace))
    assert (stored.name, stored.kind) == ("10.0.0.236", "PodEniIP")
    found = store.for_pod(namespace, "sts-0")
    assert [s.reservation for s in found] == [shared(namespace)]
    assert store.for_pod(namespace, "sts-1") == []


def test_status_is_written_through_the_status_subresource_with_reclaim_at(store, namespace, kube):
    stored = store.create(shared(namespace))
    released = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.timezone.utc)
    updated = store.update(stored, shared(namespace, phase=Phase.RESERVED, released_at=released, node_name="10.0.0.47"))
    raw = client.CustomObjectsApi(kube).get_namespaced_custom_object(GROUP, "v1", namespace, "podeniips", "10.0.0.236")
    assert raw["status"] == {
        "phase": "Reserved",
        "nodeName": "10.0.0.47",
        "releasedAt": "2026-11-26T12:00:00Z",
        "reclaimAt": "2026-11-27T12:00:00Z",
    }
    assert updated.reservation.phase is Phase.RESERVED and updated.resource_version != stored.resource_version


def test_a_write_based_on_a_stale_read_is_refused_and_changes_nothing(store, namespace):
    stored = store.create(shared(namespace))
    store.update(stored, shared(namespace, phase=Phase.BOUND, node_name="10.0.0.47"))
    with pytest.raises(RecordConflict):
        store.update(stored, shared(namespace, pod_uid="uid-2"))
    with pytest.raises(RecordConflict):
        store.delete(stored)
    with pytest.raises(RecordConflict):
        store.create(shared(namespace))
    [current] = store.for_pod(namespace, "sts-0")
    assert current.reservation.pod_uid == "uid-1" and current.reservation.phase is Phase.BOUND


def test_an_exclusive_record_may_exist_before_its_eni_and_ip(store, namespace):
    binding = Reservation(
        namespace=namespace,
        pod_name="db-0",
        mode=Mode.EXCLUSIVE,
        pod_uid="uid-9",
        fixed=True,
        retention=Retention.never(),
        phase=Phase.BINDING,
    )
    stored = store.create(binding)
    assert stored.name == "db-0" and stored.reservation.ip == ""
    store.delete(stored)
    assert store.get(Mode.EXCLUSIVE, namespace, "db-0") is None


def test_the_schema_refuses_a_malformed_ip(kube, store, namespace):
    body = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "PodEniIP",
        "metadata": {"name": "x"},
        "spec": {"podName": "a", "mode": "shared", "fixed": True, "retention": "never", "ip": "10.0.0.300"},
    }
    with pytest.raises(ApiException) as err:
        client.CustomObjectsApi(kube).create_namespaced_custom_object(GROUP, "v1", namespace, "podeniips", body)
    assert err.value.status == 422 and "spec.ip" in err.value.body
