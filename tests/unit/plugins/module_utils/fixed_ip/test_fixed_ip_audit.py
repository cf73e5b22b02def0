# -*- coding: utf-8 -*-
"""Reservations joined with the cloud and the pods: what counts as in sync and what is reported as drift."""

from __future__ import annotations

import dataclasses

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.audit import inspect
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    EIP_ASSOCIATED,
    CloudSnapshot,
    EipSnapshot,
    EniSnapshot,
    PodSnapshot,
    SubnetSnapshot,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import StoredReservation

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SHARED_ENI = EniSnapshot(
    eni_id="eni-sh",
    name="kcefip_kce-demo_sh_0_10-0-0-47",
    subnet_id=SUBNET,
    zone="cn-beijing-6a",
    instance_id="i-47",
    primary_ip="10.0.0.20",
    secondary_ips=("10.0.0.236",),
)
POD = PodSnapshot(namespace="default", name="sts-0", uid="uid-1", node_name="10.0.0.47", pod_ip="10.0.0.236")


def stored(reservation):
    name = reservation.record_name()
    return StoredReservation(reservation, name, reservation.namespace, "1", "record-uid-" + name)


def bound(**changes):
    base = dict(
        namespace="default",
        pod_name="sts-0",
        mode=Mode.SHARED,
        pod_uid="uid-1",
        ip="10.0.0.236",
        subnet_id=SUBNET,
        zone="cn-beijing-6a",
        eni_id="eni-sh",
        instance_id="i-47",
        node_name="10.0.0.47",
        phase=Phase.BOUND,
    )
    base.update(changes)
    return Reservation(**base)


def snapshot(enis=(SHARED_ENI,), reserved=()):
    return CloudSnapshot(
        enis=enis, subnets=(SubnetSnapshot(SUBNET, "10.0.0.0/24", "cn-beijing-6a", reserved_ips=frozenset(reserved)),)
    )


def only(results):
    assert len(results) == 1
    return results[0]


def test_a_bound_pod_whose_eni_holds_its_ip_is_in_sync():
    result = only(inspect([stored(bound())], snapshot(), {("default", "sts-0"): POD}, "kce-demo"))
    assert result["in_sync"] and result["drift"] == []
    assert result["cloud"]["eni"]["id"] == "eni-sh" and result["cloud"]["ip_reserved"] is False
    assert result["pod"] == {
        "exists": True,
        "uid": "uid-1",
        "uid_matches": True,
        "node_name": "10.0.0.47",
        "pod_ip": "10.0.0.236",
        "deleting": False,
    }


def test_a_bound_record_whose_pod_is_gone_is_drift():
    result = only(inspect([stored(bound())], snapshot(), {}, "kce-demo"))
    assert result["drift"] == ["record says Bound but pod default/sts-0 is gone (its release did not run)"]


def test_an_ip_on_another_eni_than_recorded_is_drift():
    result = only(inspect([stored(bound(eni_id="eni-old"))], snapshot(), {("default", "sts-0"): POD}, "kce-demo"))
    assert result["drift"] == ["IP 10.0.0.236 is assigned to ENI eni-sh, but the record says ENI eni-old"]


def test_a_reserved_ip_that_is_neither_assigned_nor_reserved_could_be_handed_out():
    record = bound(phase=Phase.RESERVED, pod_uid="", eni_id="", instance_id="", node_name="")
    result = only(inspect([stored(record)], snapshot(enis=()), {}, "kce-demo"))
    assert result["drift"] == [
        "IP 10.0.0.236 is neither assigned nor reserved in subnet %s, so random allocation may hand it out" % SUBNET
    ]
    assert only(inspect([stored(record)], snapshot(enis=(), reserved=("10.0.0.236",)), {}, "kce-demo"))["in_sync"]


def test_an_exclusive_record_whose_eni_is_gone_or_detached_is_drift():
    record = Reservation(
        namespace="default",
        pod_name="db-0",
        mode=Mode.EXCLUSIVE,
        pod_uid="uid-2",
        ip="10.0.0.30",
        subnet_id=SUBNET,
        eni_id="eni-db",
        instance_id="i-47",
        phase=Phase.BOUND,
    )
    pod = PodSnapshot(namespace="default", name="db-0", uid="uid-2", node_name="10.0.0.47", pod_ip="10.0.0.30")
    missing = only(inspect([stored(record)], snapshot(), {("default", "db-0"): pod}, "kce-demo"))
    assert missing["drift"] == ["ENI eni-db of the record is missing from the cloud, so IP 10.0.0.30 is lost"]
    detached = EniSnapshot(
        eni_id="eni-db",
        name="kcefip_kce-demo_ex_default_db-0",
        subnet_id=SUBNET,
        zone="cn-beijing-6a",
        primary_ip="10.0.0.30",
    )
    result = only(inspect([stored(record)], snapshot(enis=(detached,)), {("default", "db-0"): pod}, "kce-demo"))
    assert result["drift"] == ["record says Bound but ENI eni-db is detached"]


def test_without_the_cloud_only_the_pods_are_compared():
    result = only(inspect([stored(bound())], None, {("default", "sts-0"): POD}))
    assert result["cloud"] is None and result["in_sync"]


EIP = EipSnapshot(
    "eip-1", "198.51.100.7", state=EIP_ASSOCIATED, eni_id="eni-sh", instance_id="i-47", private_ip="10.0.0.236"
)


def test_a_record_with_its_eip_on_its_ip_shows_the_eip_and_is_in_sync():
    result = only(
        inspect(
            [stored(bound(eip_id="eip-1"))],
            dataclasses.replace(snapshot(), addresses=(EIP,)),
            {("default", "sts-0"): POD},
        )
    )
    assert result["in_sync"], result["drift"]
    assert result["cloud"]["eip"]["public_ip"] == "198.51.100.7"


def test_an_eip_not_on_the_ip_or_gone_is_drift_and_a_record_without_one_shows_none():
    pods = {("default", "sts-0"): POD}
    elsewhere = dataclasses.replace(EIP, eni_id="eni-x", private_ip="10.0.0.9")
    moved = only(
        inspect([stored(bound(eip_id="eip-1"))], dataclasses.replace(snapshot(), addresses=(elsewhere,)), pods)
    )
    assert moved["drift"] == [
        "elastic IP eip-1 (198.51.100.7) is 10.0.0.9 of network interface eni-x (instance i-47), not on IP 10.0.0.236 "
        "of ENI eni-sh; associate it with ksyun.kce.eip_association (allow_reassociation=true), or restart the pod: its "
        "bind associates it"
    ]
    gone = only(inspect([stored(bound(eip_id="eip-1"))], snapshot(), pods))
    assert gone["cloud"]["eip"] is None
    assert gone["drift"][0].startswith("elastic IP eip-1 of the record does not exist (released?)")
    plain = only(inspect([stored(bound())], snapshot(), pods))
    assert "eip" not in plain["cloud"] and plain["in_sync"]
