# -*- coding: utf-8 -*-
"""Bind: what a pod gets on its node, and what is refused (every refusal plans nothing)."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import LivePodCheckMissing, plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    CrossSubnetRefused,
    InvalidSettings,
    PlacementError,
    ReservationConflict,
    ReservationHeld,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EniSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
NODE_B = sim.node("10.0.1.9", "i-node-b", zone=sim.ZONE_B)


def world(**settings):
    return sim.World(sim.settings(**settings), nodes=[NODE_47, NODE_B]).add_primary_enis()


def bind(w, pod, node=NODE_47, live=frozenset(), mode=None):
    mode = mode or (Mode.SHARED if "k8s.ksyun.com/pod-eniip" in pod.annotations else Mode.EXCLUSIVE)
    return plan_bind(w.pod_view(pod), node, w.record_of(pod, mode), w.cloud(), w.settings, sim.NOW, live)


def kinds(plan):
    return [type(action).__name__ for action in plan.actions]


def bound_world(mode, pod=None):
    w = world()
    pod = pod or sim.sts_pod(mode=mode)
    w.run(bind(w, pod).actions)
    return w


def test_an_exclusive_pod_without_a_podeni_gets_a_new_eni_in_the_product_pages_order():
    plan = bind(world(), sim.sts_pod(mode=Mode.EXCLUSIVE))
    assert kinds(plan) == [
        "WriteReservation",
        "CreateEni",
        "WriteReservation",
        "AttachEni",
        "WriteReservation",
        "SetPodNetwork",
    ]
    first, create, located, attach, done, network = plan.actions
    assert (
        first.reservation.phase is Phase.BINDING
        and first.reservation.eni_id == ""
        and first.reservation.subnet_id == sim.SUBNET_A
    )
    assert (
        create.name == "kcefip_kce-demo_ex_default_sts-0"
        and create.primary_ip is None
        and create.security_group_ids == ("sg-pods",)
    )
    assert located.reservation.eni_id == Ref("new-eni") and located.reservation.ip == Ref("new-eni", "primary_ip")
    assert attach == act.AttachEni(Ref("new-eni"), NODE_47.instance_id)
    assert done.reservation.phase is Phase.BOUND and done.reservation.node_name == NODE_47.name
    assert network.uid == "uid-1" and plan.reservation == done.reservation


def test_a_shared_pod_without_a_podeniip_records_the_chosen_ip_before_any_cloud_call():
    plan = bind(world(), sim.sts_pod())
    assert kinds(plan) == [
        "WriteReservation",
        "CreateEni",
        "AttachEni",
        "AssignIp",
        "WriteReservation",
        "SetPodNetwork",
    ]
    intent = plan.actions[0].reservation
    assert (intent.phase, intent.ip, intent.record_name(), intent.node_name) == (
        Phase.BINDING,
        "10.0.0.2",
        "10.0.0.2",
        NODE_47.name,
    )
    assert plan.actions[1].primary_ip == "10.0.0.3", "a new shared ENI must not take the pod's chosen IP as its primary"
    assert plan.actions[3] == act.AssignIp(Ref("new-eni"), "10.0.0.2")


def test_binding_an_already_bound_pod_again_plans_nothing():
    for mode in Mode:
        w = bound_world(mode)
        plan = bind(w, sim.sts_pod(mode=mode))
        assert plan.actions == () and plan.reservation.phase is Phase.BOUND and not plan.changed


def test_a_bound_pod_whose_network_was_not_written_yet_only_gets_its_network():
    w = bound_world(Mode.SHARED)
    w.pod_network.clear()
    assert kinds(bind(w, sim.sts_pod())) == ["SetPodNetwork"]


def test_a_shared_eni_full_of_ips_makes_the_node_create_another():
    w = world()
    for index in range(3):
        w.run(bind(w, sim.sts_pod(name="sts-%d" % index, uid="uid-%d" % index)).actions)
    plan = bind(w, sim.sts_pod(name="sts-3", uid="uid-3"))
    assert "CreateEni" in kinds(plan)
    assert plan.actions[1].name == "kcefip_kce-demo_sh_1_10-0-0-47-4b3fbc90"


def test_a_spare_detached_shared_eni_of_the_node_is_attached_instead_of_creating_another():
    w = world()
    w.add_eni(
        EniSnapshot(
            "eni-spare", "kcefip_kce-demo_sh_0_10-0-0-47-4b3fbc90", sim.SUBNET_A, sim.ZONE_A, primary_ip="10.0.0.250"
        )
    )
    plan = bind(w, sim.sts_pod())
    assert kinds(plan)[:3] == ["WriteReservation", "AttachEni", "AssignIp"]
    assert plan.actions[2] == act.AssignIp("eni-spare", "10.0.0.2")


def test_an_eni_of_another_pod_or_the_primary_eni_never_hosts_a_shared_ip():
    w = bound_world(Mode.EXCLUSIVE, sim.sts_pod(name="db-0", mode=Mode.EXCLUSIVE))
    plan = bind(w, sim.sts_pod())
    assert "CreateEni" in kinds(plan)


def test_an_ip_in_another_zones_subnet_is_refused_and_nothing_is_planned():
    w = bound_world(Mode.SHARED)
    w.run(plan_release_of(w, sim.sts_pod()).actions)
    moved = sim.sts_pod(uid="uid-2", node_name=NODE_B.name)
    with pytest.raises(CrossSubnetRefused) as err:
        bind(w, moved, NODE_B)
    assert str(err.value) == (
        "pod default/sts-0 holds fixed IP 10.0.0.2 in subnet subnet-a (zone cn-beijing-6a); node 10.0.1.9 is in zone cn-beijing-6b; "
        "a fixed IP never moves across subnets: schedule the pod into zone cn-beijing-6a (nodeAffinity on topology.kubernetes.io/zone) "
        "or reclaim the IP"
    )


def test_an_exclusive_eni_in_another_zone_is_refused_too():
    w = bound_world(Mode.EXCLUSIVE)
    w.run(plan_release_of(w, sim.sts_pod(mode=Mode.EXCLUSIVE)).actions)
    with pytest.raises(CrossSubnetRefused, match="zone cn-beijing-6a"):
        bind(w, sim.sts_pod(mode=Mode.EXCLUSIVE, uid="uid-2", node_name=NODE_B.name), NODE_B)


def plan_release_of(w, pod):
    from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release

    mode = Mode.SHARED if "k8s.ksyun.com/pod-eniip" in pod.annotations else Mode.EXCLUSIVE
    return plan_release(
        dataclasses.replace(w.pod_view(pod), deleting=True),
        w.record_of(pod, mode),
        w.cloud(),
        w.settings,
        sim.NOW,
        frozenset(),
    )


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_a_reservation_held_by_another_live_pod_is_refused(mode):
    w = bound_world(mode)
    with pytest.raises(
        ReservationHeld, match="held by live pod uid uid-1, so pod default/sts-0 \\(uid uid-2\\) cannot take it"
    ):
        bind(w, sim.sts_pod(mode=mode, uid="uid-2"), live=frozenset({"uid-1", "uid-2"}))


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_taking_an_ip_over_from_an_earlier_pod_needs_the_live_pod_check(mode):
    w = bound_world(mode)
    new_pod = sim.sts_pod(mode=mode, uid="uid-2", node_name="10.0.0.48")
    node_48 = sim.node("10.0.0.48", "i-node48")
    w.nodes[node_48.instance_id] = node_48
    with pytest.raises(LivePodCheckMissing, match="pass live_pod_uids"):
        bind(w, new_pod, node_48, live=None)


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_a_reserved_ip_is_bound_without_the_live_pod_check(mode):
    w = bound_world(mode)
    w.run(plan_release_of(w, sim.sts_pod(mode=mode)).actions)
    plan = bind(w, sim.sts_pod(mode=mode, uid="uid-2"), live=None)
    assert plan.reservation.pod_uid == "uid-2" and plan.reservation.phase is Phase.BOUND


def test_a_node_at_its_eni_quota_is_refused_before_anything_is_created():
    small = sim.node(eni_quota=2)
    w = sim.World(sim.settings(), nodes=[small]).add_primary_enis()
    w.run(bind(w, sim.sts_pod(name="db-0", mode=Mode.EXCLUSIVE), small).actions)
    with pytest.raises(PlacementError) as err:
        bind(w, sim.sts_pod(), small)
    assert "node 10.0.0.47 (instance i-node47, type N3.2B) already has 2 of 2 ENIs attached" in str(err.value)
    assert "schedule the pod on another node" in str(err.value)


@pytest.mark.parametrize(
    "field, value, hint", [("eni_quota", 0, "ENI quota of 0"), ("ip_quota", 1, "allows 1 private IPs per ENI")]
)
def test_a_node_without_its_instance_type_limits_is_refused(field, value, hint):
    node = dataclasses.replace(NODE_47, **{field: value})
    with pytest.raises(InvalidSettings, match=hint):
        plan_bind(sim.sts_pod(), node, None, world().cloud(), sim.settings(), sim.NOW)


def test_a_node_without_instance_id_or_zone_is_refused():
    with pytest.raises(InvalidSettings, match="instance id '' and zone"):
        plan_bind(
            sim.sts_pod(), dataclasses.replace(NODE_47, instance_id=""), None, world().cloud(), sim.settings(), sim.NOW
        )


def test_a_zone_without_pod_subnets_is_refused_naming_the_configured_zones():
    w = world(pod_subnets={sim.ZONE_B: (sim.SUBNET_B,)})
    with pytest.raises(
        PlacementError, match="no pod subnet is configured for zone 'cn-beijing-6a'.*zones: cn-beijing-6b"
    ):
        bind(w, sim.sts_pod())


def test_a_zone_whose_subnets_are_full_or_missing_is_refused_naming_each_subnet():
    w = world(pod_subnets={sim.ZONE_A: ("subnet-gone", sim.SUBNET_B, sim.SUBNET_A)})
    w.reserved[sim.SUBNET_A].update(w.cloud().subnet(sim.SUBNET_A).available_ips)
    with pytest.raises(PlacementError) as err:
        bind(w, sim.sts_pod())
    assert "subnet-gone (not found), subnet-b (in zone cn-beijing-6b), subnet-a (no free IP)" in str(err.value)


def test_creating_an_eni_without_security_groups_is_refused():
    for mode in Mode:
        with pytest.raises(InvalidSettings, match="security_group_ids is empty"):
            bind(world(security_group_ids=()), sim.sts_pod(mode=mode))


def test_a_pod_of_another_workload_asking_for_a_fixed_ip_gets_a_non_fixed_one_and_a_warning():
    plan = bind(world(), sim.sts_pod(owner_kind="ReplicaSet", owner_name="web-7d9f"))
    assert plan.reservation.fixed is False and plan.changed
    assert plan.warnings == (
        "fixed IP is only supported for StatefulSet and static pods; ReplicaSet pod default/sts-0 got a non-fixed IP",
    )


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_with_fixed_ip_off_a_new_pod_gets_an_ip_that_is_not_kept_and_a_warning(mode):
    plan = bind(world(fixed_ip=False), sim.sts_pod(mode=mode))
    assert plan.reservation.fixed is False and plan.changed
    assert plan.warnings == (
        "fixed Pod IP is off in this cluster; pod default/sts-0 got an IP that is freed when the pod is deleted "
        "(turn fixed IP on in the VPC-CNI configuration to keep it)",
    )


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_turning_fixed_ip_off_keeps_a_reservation_made_while_it_was_on(mode):
    w = bound_world(mode)
    w.run(plan_release_of(w, sim.sts_pod(mode=mode)).actions)
    kept = w.record_of(sim.sts_pod(mode=mode), mode)
    assert kept is not None and kept.fixed
    w.settings = dataclasses.replace(w.settings, fixed_ip=False)
    plan = bind(w, sim.sts_pod(mode=mode, uid="uid-2"))
    assert plan.reservation.fixed is True and plan.reservation.ip == kept.ip and plan.warnings == ()


def test_an_ordinary_pod_and_a_pod_being_deleted_are_not_bound():
    ordinary = sim.sts_pod(annotations={}, resource_requests={})
    assert bind(world(), ordinary, mode=Mode.SHARED).reason.endswith("nothing to bind")
    deleting = bind(world(), sim.sts_pod(deleting=True))
    assert deleting.actions == () and "plan its release instead" in deleting.reason


def test_a_reservation_being_reclaimed_makes_the_bind_wait():
    w = bound_world(Mode.SHARED)
    w.run(plan_release_of(w, sim.sts_pod()).actions)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.put(dataclasses.replace(record, phase=Phase.RECLAIMING))
    plan = bind(w, sim.sts_pod(uid="uid-2"))
    assert plan.retry and plan.actions == () and "being reclaimed" in plan.reason


def test_an_eni_still_attaching_makes_the_bind_wait():
    w = bound_world(Mode.EXCLUSIVE)
    record = w.record_of(sim.sts_pod(mode=Mode.EXCLUSIVE), Mode.EXCLUSIVE)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], state="attaching")
    plan = bind(w, sim.sts_pod(mode=Mode.EXCLUSIVE))
    assert plan.retry and plan.actions == () and "is attaching" in plan.reason


def test_a_shared_eni_still_attaching_to_the_node_makes_the_bind_wait():
    w = world()
    w.add_eni(
        EniSnapshot(
            "eni-new",
            "kcefip_kce-demo_sh_0_10-0-0-47-4b3fbc90",
            sim.SUBNET_A,
            sim.ZONE_A,
            NODE_47.instance_id,
            primary_ip="10.0.0.250",
            state="attaching",
        )
    )
    plan = bind(w, sim.sts_pod())
    assert plan.retry and "eni-new on node 10.0.0.47 is attaching" in plan.reason


def test_switching_a_pods_mode_needs_its_old_record_deleted_first():
    w = bound_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    with pytest.raises(
        ReservationConflict, match="asks for exclusive ENI mode, but its PodEniIP default/10.0.0.2 holds a shared"
    ):
        plan_bind(sim.sts_pod(mode=Mode.EXCLUSIVE), NODE_47, record, w.cloud(), w.settings, sim.NOW)


def test_a_record_of_another_pod_is_refused():
    w = bound_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    with pytest.raises(ReservationConflict, match="belongs to pod default/sts-0, not to pod default/sts-1"):
        plan_bind(sim.sts_pod(name="sts-1"), NODE_47, record, w.cloud(), w.settings, sim.NOW)


def test_a_fixed_exclusive_eni_that_vanished_from_the_cloud_is_reported_lost():
    w = bound_world(Mode.EXCLUSIVE)
    w.run(plan_release_of(w, sim.sts_pod(mode=Mode.EXCLUSIVE)).actions)
    record = w.record_of(sim.sts_pod(mode=Mode.EXCLUSIVE), Mode.EXCLUSIVE)
    del w.enis[record.eni_id]
    with pytest.raises(
        ReservationConflict,
        match="ENI eni-0001 of PodEni default/sts-0 is gone from the cloud, so fixed IP 10.0.0.2 is lost",
    ):
        bind(w, sim.sts_pod(mode=Mode.EXCLUSIVE, uid="uid-2"))


def test_an_own_non_fixed_eni_that_vanished_is_simply_created_again():
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE, fixed=False)
    w = bound_world(Mode.EXCLUSIVE, pod)
    del w.enis[w.record_of(pod, Mode.EXCLUSIVE).eni_id]
    assert kinds(bind(w, pod))[:2] == ["WriteReservation", "CreateEni"]


def test_a_pre_provisioned_ip_outside_its_subnet_is_refused_and_nothing_is_created():
    w = world()
    w.put(
        Reservation(
            "default",
            "sts-0",
            Mode.SHARED,
            ip="192.168.9.9",
            subnet_id=sim.SUBNET_A,
            zone=sim.ZONE_A,
            phase=Phase.RESERVED,
        )
    )
    with pytest.raises(
        ReservationConflict, match="IP '192.168.9.9' of PodEniIP default/192.168.9.9 is not in its subnet subnet-a"
    ):
        bind(w, sim.sts_pod())


def test_a_pre_provisioned_ip_in_an_unknown_subnet_is_refused():
    w = world()
    w.put(
        Reservation(
            "default", "sts-0", Mode.SHARED, ip="10.9.0.5", subnet_id="subnet-x", zone=sim.ZONE_A, phase=Phase.RESERVED
        )
    )
    with pytest.raises(
        PlacementError, match="subnet 'subnet-x' of PodEniIP default/10.9.0.5 is not among the pod subnets"
    ):
        bind(w, sim.sts_pod())


def test_a_reserved_ip_that_someone_else_assigned_is_refused_not_stolen():
    w = bound_world(Mode.SHARED)
    w.run(plan_release_of(w, sim.sts_pod()).actions)
    eni_id = next(eni.eni_id for eni in w.enis.values() if eni.name.startswith("kcefip_"))
    w.enis[eni_id] = dataclasses.replace(w.enis[eni_id], secondary_ips=("10.0.0.2",))
    with pytest.raises(
        ReservationConflict,
        match="IP 10.0.0.2 of PodEniIP default/10.0.0.2 .*phase Reserved.* assigned to ENI eni-0001",
    ):
        bind(w, sim.sts_pod(uid="uid-2"))


def test_a_bound_pod_whose_ip_shows_up_on_another_node_is_refused():
    w = bound_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], instance_id="i-elsewhere")
    with pytest.raises(ReservationConflict, match="another allocator took it"):
        bind(w, sim.sts_pod())


def test_a_bound_exclusive_eni_attached_to_another_instance_is_refused():
    w = bound_world(Mode.EXCLUSIVE)
    record = w.record_of(sim.sts_pod(mode=Mode.EXCLUSIVE), Mode.EXCLUSIVE)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], instance_id="i-elsewhere")
    with pytest.raises(
        ReservationConflict, match="ENI eni-0001 of PodEni default/sts-0 is attached to instance i-elsewhere"
    ):
        bind(w, sim.sts_pod(mode=Mode.EXCLUSIVE))


def test_an_unrecorded_eni_named_for_the_pod_in_its_zone_is_adopted_not_duplicated():
    w = world()
    w.add_eni(
        EniSnapshot(
            "eni-left", "kcefip_kce-demo_ex_default_sts-0", sim.SUBNET_A, sim.ZONE_A, primary_ip="10.0.0.77", mac="m"
        )
    )
    plan = bind(w, sim.sts_pod(mode=Mode.EXCLUSIVE))
    assert (
        "CreateEni" not in kinds(plan) and plan.reservation.ip == "10.0.0.77" and plan.reservation.eni_id == "eni-left"
    )
