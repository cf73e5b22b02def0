# -*- coding: utf-8 -*-
"""Release: what the deletion of a pod does to its IP (the product page's "When a pod is deleted")."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()


def mode_of(pod):
    return Mode.SHARED if "k8s.ksyun.com/pod-eniip" in pod.annotations else Mode.EXCLUSIVE


def bound_world(pod, vpc_ips=True, **settings):
    w = sim.World(sim.settings(**settings), nodes=[NODE_47]).add_primary_enis()
    w.run(plan_bind(pod, NODE_47, None, w.cloud(), w.settings, sim.NOW, frozenset(), vpc_ips=vpc_ips).actions)
    return w


def release(w, pod, live=frozenset(), deleting=True, now=sim.NOW):
    view = dataclasses.replace(w.pod_view(pod), deleting=deleting)
    return plan_release(view, w.record_of(pod, mode_of(pod)), w.cloud(), w.settings, now, live)


def kinds(plan):
    return [type(action).__name__ for action in plan.actions]


def test_a_fixed_ip_pod_that_is_deleted_keeps_its_eni_detached_with_its_ip():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.EXCLUSIVE)
    plan = release(w, pod)
    assert plan.actions == (
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RELEASING, released_at=sim.NOW)),
        act.DetachEni(record.eni_id, NODE_47.instance_id),
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RESERVED, released_at=sim.NOW)),
    )
    w.run(plan.actions)
    assert w.enis[record.eni_id].instance_id is None and w.enis[record.eni_id].primary_ip == record.ip


def test_a_fixed_ip_pod_that_is_deleted_keeps_its_shared_ip_reserved_in_the_subnet():
    pod = sim.sts_pod()
    w = bound_world(pod)
    record = w.record_of(pod, Mode.SHARED)
    plan = release(w, pod)
    assert kinds(plan) == ["WriteReservation", "UnassignIp", "ReserveIp", "WriteReservation"]
    w.run(plan.actions)
    assert "10.0.0.2" in w.reserved[sim.SUBNET_A] and w.record_of(pod, Mode.SHARED) == dataclasses.replace(
        record, phase=Phase.RESERVED, released_at=sim.NOW, eni_id="", mac=""
    ), "a Reserved PodEniIP names no ENI: none holds its IP"
    assert all("10.0.0.2" not in eni.secondary_ips for eni in w.enis.values())


def test_when_the_cloud_can_reserve_an_assigned_ip_it_is_reserved_before_it_is_unassigned():
    pod = sim.sts_pod()
    w = bound_world(pod, reserve_assigned_ip=True)
    assert kinds(release(w, pod)) == ["WriteReservation", "ReserveIp", "UnassignIp", "WriteReservation"]


def test_a_non_fixed_exclusive_pod_that_is_deleted_gives_its_eni_back_at_once():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE, fixed=False)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.EXCLUSIVE)
    plan = release(w, pod)
    assert plan.actions == (
        act.DetachEni(record.eni_id, NODE_47.instance_id),
        act.DeleteEni(record.eni_id),
        act.DeleteReservation("default", "sts-0", Mode.EXCLUSIVE),
    )
    assert plan.reservation is None


def test_a_non_fixed_shared_pod_that_is_deleted_has_its_vpcip_deleted_and_its_ip_unassigned_never_reserved():
    pod = sim.sts_pod(fixed=False)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.SHARED)
    assert record.label() == "VpcIP default/10.0.0.2"
    plan = release(w, pod)
    assert plan.actions == (
        act.UnassignIp(record.eni_id, "10.0.0.2"),
        act.DeleteReservation("default", "10.0.0.2", Mode.SHARED, vpc_ip=True),
    )
    assert plan.describe()[-1] == "delete VpcIP default/10.0.0.2" and plan.reservation is None
    w.run(plan.actions)
    assert w.records == {} and w.reserved[sim.SUBNET_A] == set()
    assert "10.0.0.2" in w.cloud().subnet(sim.SUBNET_A).available_ips, "the IP is free for anyone again"


def test_a_podeniip_with_fixed_false_left_by_an_earlier_version_is_still_freed_at_once():
    pod = sim.sts_pod(fixed=False)
    w = bound_world(pod, vpc_ips=False)
    record = w.record_of(pod, Mode.SHARED)
    assert (record.label(), record.fixed) == ("PodEniIP default/10.0.0.2", False)
    plan = release(w, pod)
    assert plan.actions == (
        act.UnassignIp(record.eni_id, "10.0.0.2"),
        act.DeleteReservation("default", "10.0.0.2", Mode.SHARED),
    )
    w.run(plan.actions)
    assert w.records == {} and w.reserved[sim.SUBNET_A] == set()


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "non-fixed"])
def test_releasing_twice_is_a_no_op(mode, fixed):
    pod = sim.sts_pod(mode=mode, fixed=fixed)
    w = bound_world(pod)
    w.run(release(w, pod).actions)
    again = release(w, pod, now=sim.later(hours=5))
    assert again.actions == ()


def test_the_retention_clock_starts_at_the_first_release_attempt_even_after_a_crash():
    pod = sim.sts_pod()
    w = bound_world(pod)
    w.run(release(w, pod).actions[:2])
    resumed = release(w, pod, now=sim.later(hours=1))
    assert resumed.reservation.released_at == sim.NOW


def test_a_reservation_last_held_by_another_pod_uid_is_never_released():
    pod = sim.sts_pod()
    w = bound_world(pod)
    plan = release(w, sim.sts_pod(uid="uid-2"), live=frozenset({"uid-1"}))
    assert plan.actions == () and plan.reason == (
        "PodEniIP default/10.0.0.2 is held by pod uid uid-1, not by pod default/sts-0 (uid uid-2); it is not this pod's to release"
    )


def test_a_live_pod_that_is_not_being_deleted_keeps_its_ip():
    pod = sim.sts_pod()
    w = bound_world(pod)
    plan = release(w, pod, live=frozenset({"uid-1"}), deleting=False)
    assert plan.actions == () and "is live and not being deleted" in plan.reason
    assert release(w, pod, live=frozenset({"uid-1"}), deleting=True).actions != ()


def test_a_pre_provisioned_reservation_is_not_any_pods_to_release():
    w = sim.World(sim.settings(), nodes=[NODE_47])
    w.put(
        Reservation(
            "default",
            "sts-0",
            Mode.SHARED,
            ip="10.0.0.200",
            subnet_id=sim.SUBNET_A,
            zone=sim.ZONE_A,
            phase=Phase.RESERVED,
        )
    )
    plan = release(w, sim.sts_pod())
    assert plan.actions == () and "held by no pod yet (pre-provisioned)" in plan.reason


def test_a_pod_without_a_reservation_has_nothing_to_release():
    w = sim.World(sim.settings(), nodes=[NODE_47])
    plan = release(w, sim.sts_pod())
    assert plan.actions == () and plan.reason == "pod default/sts-0 has no reservation; nothing to release"


def test_a_reservation_being_reclaimed_is_left_to_reclaim():
    pod = sim.sts_pod()
    w = bound_world(pod)
    record = w.record_of(pod, Mode.SHARED)
    w.put(dataclasses.replace(record, phase=Phase.RECLAIMING))
    assert "being reclaimed" in release(w, pod).reason


def test_an_eni_still_detaching_makes_the_release_wait():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.EXCLUSIVE)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], state="detaching")
    plan = release(w, pod)
    assert plan.retry and plan.actions == () and "is detaching" in plan.reason


def test_a_fixed_eni_gone_from_the_cloud_is_kept_on_record_with_a_warning():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.EXCLUSIVE)
    del w.enis[record.eni_id]
    plan = release(w, pod)
    assert kinds(plan) == ["WriteReservation"] and plan.reservation.phase is Phase.RESERVED
    assert plan.warnings == (
        "ENI eni-0001 of PodEni default/sts-0 is gone from the cloud, so fixed IP 10.0.0.2 cannot be kept; "
        "delete the record to let the pod get a new IP",
    )


def test_a_fixed_shared_ip_someone_else_holds_is_not_released():
    pod = sim.sts_pod()
    w = bound_world(pod)
    record = w.record_of(pod, Mode.SHARED)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], secondary_ips=())
    w.add_eni(
        dataclasses.replace(
            w.enis[record.eni_id], eni_id="eni-foreign", name="someone", instance_id="i-x", secondary_ips=("10.0.0.2",)
        )
    )
    plan = release(w, pod)
    assert plan.actions == () and "assigned to ENI eni-foreign on instance i-x" in plan.reason


def test_a_non_fixed_shared_ip_someone_else_holds_is_left_alone_and_only_the_record_goes():
    pod = sim.sts_pod(fixed=False)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.SHARED)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], secondary_ips=())
    w.add_eni(
        dataclasses.replace(
            w.enis[record.eni_id], eni_id="eni-foreign", name="someone", instance_id="i-x", secondary_ips=("10.0.0.2",)
        )
    )
    plan = release(w, pod)
    assert plan.actions == (act.DeleteReservation("default", "10.0.0.2", Mode.SHARED, vpc_ip=True),)
    assert "left alone" in plan.warnings[0]


def test_an_exclusive_eni_attached_somewhere_the_record_does_not_say_is_not_released():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE, fixed=False)
    w = bound_world(pod)
    record = w.record_of(pod, Mode.EXCLUSIVE)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], instance_id="i-elsewhere")
    plan = release(w, pod)
    assert (
        plan.actions == () and "attached to instance i-elsewhere, but the record says instance i-node47" in plan.reason
    )


def test_a_fixed_exclusive_pod_deleted_before_its_eni_was_created_leaves_nothing_behind():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    w = sim.World(sim.settings(), nodes=[NODE_47]).add_primary_enis()
    w.run(plan_bind(pod, NODE_47, None, w.cloud(), w.settings, sim.NOW, frozenset()).actions[:1])
    plan = release(w, pod)
    assert plan.actions == (act.DeleteReservation("default", "sts-0", Mode.EXCLUSIVE),)
