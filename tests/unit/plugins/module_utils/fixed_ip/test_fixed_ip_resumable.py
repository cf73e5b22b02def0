# -*- coding: utf-8 -*-
"""A crash after any step of a bind or release plan, then a new plan from what the world shows, ends where the undisturbed run ends."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AssignIp,
    CreateEni,
    ReserveIp,
    UnassignIp,
    UnreserveIp,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
NODE_48 = sim.node("10.0.0.48", "i-node48")
FIRST = sim.sts_pod(uid="uid-1")


def world(**settings):
    return sim.World(sim.settings(**settings), nodes=[NODE_47, NODE_48]).add_primary_enis()


def binder(pod, node, live=frozenset()):
    def plan_of(w):
        return plan_bind(w.pod_view(pod), node, w.record_of(pod, _mode(pod)), w.cloud(), w.settings, sim.NOW, live)

    return plan_of


def releaser(pod, live=frozenset()):
    def plan_of(w):
        gone = dataclasses.replace(w.pod_view(pod), deleting=True)
        return plan_release(gone, w.record_of(pod, _mode(pod)), w.cloud(), w.settings, sim.NOW, live)

    return plan_of


def _mode(pod):
    return Mode.SHARED if pod.annotations.get("k8s.ksyun.com/pod-eniip") == "true" else Mode.EXCLUSIVE


def pod(mode, fixed, uid="uid-1", node=NODE_47):
    return sim.sts_pod(mode=mode, fixed=fixed, uid=uid, node_name=node.name)


def bound(mode, fixed, **settings):
    """The world after pod uid-1 was bound on node 10.0.0.47."""
    w = world(**settings)
    w.run(binder(pod(mode, fixed), NODE_47)(w).actions)
    return w


def released(mode, fixed, **settings):
    w = bound(mode, fixed, **settings)
    w.run(releaser(pod(mode, fixed))(w).actions)
    return w


MODES = [Mode.EXCLUSIVE, Mode.SHARED]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "non-fixed"])
def test_a_bind_with_no_record_resumes_after_a_crash_at_any_step(mode, fixed):
    plan, done = sim.assert_resumable(world(), binder(pod(mode, fixed), NODE_47))
    assert sum(isinstance(action, CreateEni) for action in plan.actions) == 1
    record = done.record_of(pod(mode, fixed), mode)
    assert record.phase is Phase.BOUND and record.fixed is fixed and record.node_name == NODE_47.name


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("assign_specific", [True, False], ids=["assign-specific", "unreserve-first"])
def test_a_re_created_fixed_pod_on_another_node_resumes_after_a_crash_at_any_step(mode, assign_specific):
    start = released(mode, True, assign_specific_ip=assign_specific)
    before = start.record_of(pod(mode, True), mode)
    assert before.phase is Phase.RESERVED
    new_pod = pod(mode, True, uid="uid-2", node=NODE_48)
    done = sim.assert_resumable(start, binder(new_pod, NODE_48))[1]
    after = done.record_of(new_pod, mode)
    assert (after.ip, after.phase, after.pod_uid, after.node_name) == (before.ip, Phase.BOUND, "uid-2", NODE_48.name)
    assert done.pod_network[("default", "sts-0")][:2] == ("uid-2", before.ip)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("reserve_assigned", [True, False], ids=["reserve-assigned", "unassign-first"])
def test_a_fixed_ip_still_held_by_a_dead_pod_on_another_node_is_taken_over_resumably(mode, reserve_assigned):
    start = bound(mode, True, reserve_assigned_ip=reserve_assigned)
    old = start.record_of(pod(mode, True), mode)
    new_pod = pod(mode, True, uid="uid-2", node=NODE_48)
    done = sim.assert_resumable(start, binder(new_pod, NODE_48, live=frozenset({"uid-2"})))[1]
    after = done.record_of(new_pod, mode)
    assert (after.ip, after.pod_uid, after.instance_id) == (old.ip, "uid-2", NODE_48.instance_id)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_stale_non_fixed_record_in_the_same_zone_is_taken_over_resumably(mode):
    start = bound(mode, False)
    old = start.record_of(pod(mode, False), mode)
    new_pod = pod(mode, False, uid="uid-2", node=NODE_48)
    done = sim.assert_resumable(start, binder(new_pod, NODE_48, live=frozenset({"uid-2"})))[1]
    after = done.record_of(new_pod, mode)
    assert (after.pod_uid, after.node_name, after.ip, after.fixed) == ("uid-2", NODE_48.name, old.ip, False)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_a_stale_non_fixed_record_in_another_zone_is_freed_and_the_pod_bound_afresh_resumably(mode):
    start = bound(mode, False)
    old = start.record_of(pod(mode, False), mode)
    node_b = sim.node("10.0.1.9", "i-node-b", zone=sim.ZONE_B)
    start.nodes[node_b.instance_id] = node_b
    new_pod = pod(mode, False, uid="uid-2", node=node_b)
    done = sim.assert_resumable(start, binder(new_pod, node_b, live=frozenset({"uid-2"})))[1]
    after = done.record_of(new_pod, mode)
    assert (after.pod_uid, after.zone, after.subnet_id) == ("uid-2", sim.ZONE_B, sim.SUBNET_B)
    if mode is Mode.EXCLUSIVE:
        assert old.eni_id not in done.enis
    else:
        assert all(old.ip not in eni.secondary_ips for eni in done.enis.values())


def test_a_shared_bind_on_a_node_with_a_shared_eni_with_room_reuses_it_resumably():
    start = bound(Mode.SHARED, True)
    other = sim.sts_pod(name="sts-1", uid="uid-9")
    plan, done = sim.assert_resumable(start, binder(other, NODE_47))
    assert not any(isinstance(action, CreateEni) for action in plan.actions)
    assert done.record_of(other, Mode.SHARED).eni_id == start.record_of(FIRST, Mode.SHARED).eni_id


def test_a_pre_provisioned_shared_ip_is_bound_resumably():
    start = world()
    start.reserved[sim.SUBNET_A].add("10.0.0.200")
    from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Reservation

    start.put(
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
    done = sim.assert_resumable(start, binder(FIRST, NODE_47))[1]
    assert done.pod_network[("default", "sts-0")][1] == "10.0.0.200"
    assert "10.0.0.200" not in done.reserved[sim.SUBNET_A]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "non-fixed"])
@pytest.mark.parametrize("reserve_assigned", [True, False], ids=["reserve-assigned", "unassign-first"])
def test_a_release_resumes_after_a_crash_at_any_step(mode, fixed, reserve_assigned):
    start = bound(mode, fixed, reserve_assigned_ip=reserve_assigned)
    done = sim.assert_resumable(start, releaser(pod(mode, fixed)))[1]
    record = done.record_of(pod(mode, fixed), mode)
    assert (record.phase if record else None) == (Phase.RESERVED if fixed else None)


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
@pytest.mark.parametrize("fixed", [True, False], ids=["fixed", "non-fixed"])
def test_a_pod_deleted_half_way_through_its_bind_is_released_resumably(mode, fixed):
    start = world()
    the_pod = pod(mode, fixed)
    bind = binder(the_pod, NODE_47)(start)
    start.run(bind.actions[:3])
    done = sim.assert_resumable(start, releaser(the_pod))[1]
    names = [eni.name for eni in done.enis.values() if eni.name.startswith("kcefip_")]
    record = done.record_of(the_pod, mode)
    if fixed:
        assert record.phase is Phase.RESERVED
    else:
        assert record is None
        assert names == ([] if mode is Mode.EXCLUSIVE else ["kcefip_kce-demo_sh_0_10-0-0-47-4b3fbc90"])


def test_delete_sts_0_and_it_comes_back_with_the_same_ip_as_on_the_product_page():
    w = world()
    for uid, node in (("uid-1", NODE_47), ("uid-2", NODE_48), ("uid-3", NODE_47)):
        the_pod = sim.sts_pod(uid=uid, node_name=node.name)
        w.run(binder(the_pod, node)(w).actions)
        ip = w.pod_network[("default", "sts-0")][1]
        w.run(releaser(the_pod)(w).actions)
        assert ip == "10.0.0.2"


def test_with_both_cloud_abilities_a_released_fixed_ip_is_never_open_to_random_allocation():
    w = world(reserve_assigned_ip=True, assign_specific_ip=True)
    w.run(binder(FIRST, NODE_47)(w).actions)
    release = releaser(FIRST)(w)
    kinds = [type(action) for action in release.actions if isinstance(action, (ReserveIp, UnassignIp))]
    assert kinds == [ReserveIp, UnassignIp]
    w.run(release.actions)
    again = binder(sim.sts_pod(uid="uid-2", node_name=NODE_48.name), NODE_48)(w)
    kinds = [type(action) for action in again.actions if isinstance(action, (AssignIp, UnreserveIp))]
    assert kinds == [AssignIp, UnreserveIp]
    w.run(again.actions)
    assert w.exposures == []


def test_the_fallback_orders_open_the_window_for_exactly_one_call_each():
    w = world(reserve_assigned_ip=False, assign_specific_ip=False)
    w.run(binder(FIRST, NODE_47)(w).actions)
    release = releaser(FIRST)(w)
    assert [type(a) for a in release.actions if isinstance(a, (ReserveIp, UnassignIp))] == [UnassignIp, ReserveIp]
    w.run(release.actions)
    assert len(w.exposures) == 1
    again = binder(sim.sts_pod(uid="uid-2", node_name=NODE_48.name), NODE_48)(w)
    assert [type(a) for a in again.actions if isinstance(a, (AssignIp, UnreserveIp))] == [UnreserveIp, AssignIp]
    w.run(again.actions)
    assert len(w.exposures) == 2


def _crash_between_unassign_and_reserve():
    w = world()
    w.run(binder(FIRST, NODE_47)(w).actions)
    w.run(binder(sim.sts_pod(name="web-0", uid="uid-7", node_name=NODE_48.name), NODE_48)(w).actions)
    release = releaser(FIRST)(w)
    unassign = next(i for i, action in enumerate(release.actions) if isinstance(action, UnassignIp))
    w.run(release.actions[: unassign + 1])
    return w


def test_a_fixed_ip_taken_by_a_foreign_allocator_in_the_fallback_window_is_refused_not_stolen():
    from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import ReservationConflict

    w = _crash_between_unassign_and_reserve()
    other_eni = w.record_of(sim.sts_pod(name="web-0"), Mode.SHARED).eni_id
    assert w.random_allocation(sim.SUBNET_A, other_eni) == "10.0.0.2"
    with pytest.raises(ReservationConflict, match="10.0.0.2 .*another allocator took it"):
        binder(sim.sts_pod(uid="uid-2", node_name=NODE_48.name), NODE_48)(w)


def test_a_new_pod_never_gets_an_ip_a_podeniip_records_even_inside_the_fallback_window():
    w = _crash_between_unassign_and_reserve()
    newcomer = sim.sts_pod(name="web-1", uid="uid-8", node_name=NODE_48.name)
    recorded = frozenset(r.ip for key, r in w.records.items() if key[0] == "PodEniIP")
    unguarded = plan_bind(newcomer, NODE_48, None, w.cloud(), w.settings, sim.NOW, frozenset(), frozenset())
    guarded = plan_bind(newcomer, NODE_48, None, w.cloud(), w.settings, sim.NOW, frozenset(), recorded)
    assert unguarded.reservation.ip == "10.0.0.2"
    assert guarded.reservation.ip not in recorded
