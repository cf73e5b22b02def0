# -*- coding: utf-8 -*-
"""Reclaim: reservations past retention and leaked ENIs are freed; everything else is kept, and the report says why."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import (
    KEEP,
    RECLAIM,
    REPORT,
    ReclaimOptions,
    plan_reclaim,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EniSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
MIN_AGE = timedelta(minutes=10)


def world(retention="24h", **settings):
    return sim.World(sim.settings(default_retention=retention, **settings), nodes=[NODE_47]).add_primary_enis()


def mode_of(pod):
    return Mode.SHARED if "k8s.ksyun.com/pod-eniip" in pod.annotations else Mode.EXCLUSIVE


def bind(w, pod):
    w.run(
        plan_bind(
            w.pod_view(pod), NODE_47, w.record_of(pod, mode_of(pod)), w.cloud(), w.settings, sim.NOW, frozenset()
        ).actions
    )


def release(w, pod):
    gone = dataclasses.replace(w.pod_view(pod), deleting=True)
    w.run(plan_release(gone, w.record_of(pod, mode_of(pod)), w.cloud(), w.settings, sim.NOW, frozenset()).actions)


def released_world(mode, retention="24h"):
    w = world(retention)
    pod = sim.sts_pod(mode=mode)
    bind(w, pod)
    release(w, pod)
    return w


def reclaim(w, now, live=(), sweep=False):
    options = ReclaimOptions(min_orphan_age=MIN_AGE, sweep_reserved_ips=sweep)
    return plan_reclaim(list(w.records.values()), w.cloud(), live, now, sim.CLUSTER, options)


def only(plan, kind):
    items = [item for item in plan.items if item.kind == kind]
    assert len(items) == 1, items
    return items[0]


def test_an_exclusive_reservation_past_its_retention_is_reclaimed_eni_and_all():
    w = released_world(Mode.EXCLUSIVE)
    record = w.record_of(sim.sts_pod(mode=Mode.EXCLUSIVE), Mode.EXCLUSIVE)
    plan = reclaim(w, sim.later(days=1))
    item = only(plan, "reservation")
    assert (item.decision, item.name) == (RECLAIM, "PodEni default/sts-0")
    assert item.reason == "released 2026-11-26T12:00:00Z, retention 1d passed at 2026-11-27T12:00:00Z"
    assert plan.actions == (
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)),
        act.DeleteEni(record.eni_id),
        act.DeleteReservation("default", "sts-0", Mode.EXCLUSIVE),
    )


def test_a_shared_reservation_past_its_retention_is_unreserved_then_deleted():
    w = released_world(Mode.SHARED)
    plan = reclaim(w, sim.later(days=2))
    assert [type(a).__name__ for a in plan.actions] == ["WriteReservation", "UnreserveIp", "DeleteReservation"]
    w.run(plan.actions)
    assert w.records == {} and "10.0.0.2" not in w.reserved[sim.SUBNET_A]


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_reclaim_resumes_after_a_crash_at_any_step(mode):
    w = released_world(mode)
    now = sim.later(days=3)
    plan, done = sim.assert_resumable(w, lambda each: reclaim(each, now))
    assert done.records == {} and len(plan.reclaimable) == 1


def test_the_default_retention_never_keeps_the_ip_and_says_how_to_free_it():
    w = released_world(Mode.SHARED, retention=None)
    item = only(reclaim(w, sim.later(days=365)), "reservation")
    assert item.decision == KEEP and item.reason.startswith("retention is never (the default); delete the record")


def test_a_reservation_inside_its_retention_is_kept_until_its_time():
    w = released_world(Mode.SHARED)
    plan = reclaim(w, sim.later(hours=23, minutes=59))
    assert plan.actions == () and only(plan, "reservation").reason == "retention 1d runs until 2026-11-27T12:00:00Z"


@pytest.mark.parametrize(
    "live_pod", [sim.sts_pod(uid="uid-2"), sim.sts_pod(name="renamed", uid="uid-1")], ids=["same-name", "same-uid"]
)
def test_a_reservation_whose_pod_is_live_again_is_kept(live_pod):
    w = released_world(Mode.SHARED)
    item = only(reclaim(w, sim.later(days=9), live=[live_pod]), "reservation")
    assert item.decision == KEEP and "is live and binds to this reservation" in item.reason


def test_a_reservation_whose_ip_a_live_pod_uses_is_kept():
    w = released_world(Mode.SHARED)
    other = sim.sts_pod(name="intruder", uid="uid-9", pod_ip="10.0.0.2")
    item = only(reclaim(w, sim.later(days=9), live=[other]), "reservation")
    assert item.decision == KEEP and item.reason.startswith("IP 10.0.0.2 is in use by live pod default/intruder")


@pytest.mark.parametrize(
    "phase, hint",
    [
        (Phase.BOUND, "bound by pod default/sts-0"),
        (Phase.BINDING, "a bind is in progress"),
        (Phase.RELEASING, "a release is in progress"),
    ],
)
def test_reservations_not_released_are_kept(phase, hint):
    w = released_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.put(dataclasses.replace(record, phase=phase))
    item = only(reclaim(w, sim.later(days=9)), "reservation")
    assert item.decision == KEEP and hint in item.reason


def test_a_pre_provisioned_reservation_without_a_release_time_is_kept():
    w = released_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.put(dataclasses.replace(record, released_at=None, pod_uid=""))
    assert "no release time is recorded" in only(reclaim(w, sim.later(days=9)), "reservation").reason


def test_a_reclaim_started_earlier_is_finished_whatever_the_retention():
    w = released_world(Mode.SHARED, retention="7d")
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.put(dataclasses.replace(record, phase=Phase.RECLAIMING))
    item = only(reclaim(w, sim.NOW), "reservation")
    assert item.decision == RECLAIM and item.reason == "reclaim started earlier; finishing it"
    assert [type(a).__name__ for a in item.actions] == ["UnreserveIp", "DeleteReservation"]


def test_a_shared_reservation_still_assigned_on_a_cluster_eni_is_unassigned_and_unreserved():
    w = released_world(Mode.SHARED)
    eni = next(eni for eni in w.enis.values() if eni.name.startswith("kcefip_"))
    w.enis[eni.eni_id] = dataclasses.replace(eni, secondary_ips=("10.0.0.2",))
    item = only(reclaim(w, sim.later(days=2)), "reservation")
    assert [type(a).__name__ for a in item.actions] == [
        "WriteReservation",
        "UnassignIp",
        "UnreserveIp",
        "DeleteReservation",
    ]


def test_a_shared_reservation_assigned_on_a_foreign_eni_is_kept():
    w = released_world(Mode.SHARED)
    w.add_eni(
        EniSnapshot(
            "eni-foreign",
            "not-ours",
            sim.SUBNET_A,
            sim.ZONE_A,
            "i-x",
            primary_ip="10.0.0.99",
            secondary_ips=("10.0.0.2",),
        )
    )
    item = only(reclaim(w, sim.later(days=2)), "reservation")
    assert item.decision == KEEP and "ENI eni-foreign, which this collection does not manage" in item.reason


def test_an_exclusive_reservation_whose_eni_is_attached_is_detached_first():
    w = released_world(Mode.EXCLUSIVE)
    record = w.record_of(sim.sts_pod(mode=Mode.EXCLUSIVE), Mode.EXCLUSIVE)
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], instance_id="i-node47")
    assert [type(a).__name__ for a in reclaim(w, sim.later(days=2)).actions] == [
        "WriteReservation",
        "DetachEni",
        "DeleteEni",
        "DeleteReservation",
    ]
    w.enis[record.eni_id] = dataclasses.replace(w.enis[record.eni_id], state="detaching")
    item = only(reclaim(w, sim.later(days=2)), "reservation")
    assert item.decision == KEEP and "is detaching" in item.reason


def leaked(w, name, created, **fields):
    return w.add_eni(
        EniSnapshot("eni-leak", name, sim.SUBNET_A, sim.ZONE_A, primary_ip="10.0.0.200", create_time=created, **fields)
    )


def test_a_leaked_exclusive_eni_older_than_the_minimum_age_is_deleted():
    w = world()
    leaked(w, "kcefip_kce-demo_ex_default_gone-0", sim.NOW, instance_id="i-node47")
    item = only(reclaim(w, sim.later(minutes=11)), "eni")
    assert item.decision == RECLAIM and item.actions == (
        act.DetachEni("eni-leak", "i-node47"),
        act.DeleteEni("eni-leak"),
    )
    assert item.reason == "created by this collection for this cluster, no reservation refers to it"


def test_a_young_eni_may_be_part_of_a_bind_and_is_kept():
    w = world()
    leaked(w, "kcefip_kce-demo_ex_default_gone-0", sim.NOW)
    item = only(reclaim(w, sim.later(minutes=9)), "eni")
    assert item.decision == KEEP and "younger than the minimum orphan age 0:10:00" in item.reason


def test_an_eni_without_a_creation_time_is_kept():
    w = world()
    leaked(w, "kcefip_kce-demo_ex_default_gone-0", None)
    assert "creation time unknown" in only(reclaim(w, sim.later(days=1)), "eni").reason


def test_a_leaked_eni_a_live_pod_uses_is_kept():
    w = world()
    leaked(w, "kcefip_kce-demo_ex_default_gone-0", sim.NOW, instance_id="i-node47")
    user = sim.sts_pod(name="gone-0", pod_ip="10.0.0.200")
    assert "in use by live pod default/gone-0" in only(reclaim(w, sim.later(days=1), live=[user]), "eni").reason


def test_enis_of_other_clusters_and_other_tools_and_enis_with_a_record_are_not_touched():
    w = released_world(Mode.EXCLUSIVE)
    w.add_eni(
        EniSnapshot("eni-other", "kcefip_other-cluster_ex_default_a", sim.SUBNET_A, sim.ZONE_A, create_time=sim.NOW)
    )
    w.add_eni(EniSnapshot("eni-manual", "my-eni", sim.SUBNET_A, sim.ZONE_A, create_time=sim.NOW))
    plan = reclaim(w, sim.later(hours=1))
    assert [item.kind for item in plan.items] == ["reservation"] and plan.actions == ()


def test_an_exclusive_eni_made_before_its_id_was_recorded_is_not_an_orphan():
    w = world()
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    bind_plan = plan_bind(pod, NODE_47, None, w.cloud(), w.settings, sim.NOW, frozenset())
    w.run(bind_plan.actions[:2])
    plan = reclaim(w, sim.later(days=1))
    assert [item.kind for item in plan.items] == ["reservation"] and plan.actions == ()


def test_shared_enis_detached_and_empty_are_swept_idle_attached_ones_kept_unrecorded_ips_reported():
    w = world()
    bind(w, sim.sts_pod())
    w.add_eni(
        EniSnapshot(
            "eni-spare",
            "kcefip_kce-demo_sh_5_gone-node",
            sim.SUBNET_A,
            sim.ZONE_A,
            primary_ip="10.0.0.201",
            create_time=sim.NOW,
        )
    )
    w.add_eni(
        EniSnapshot(
            "eni-idle",
            "kcefip_kce-demo_sh_6_10-0-0-47",
            sim.SUBNET_A,
            sim.ZONE_A,
            "i-node47",
            primary_ip="10.0.0.202",
            create_time=sim.NOW,
        )
    )
    w.add_eni(
        EniSnapshot(
            "eni-odd",
            "kcefip_kce-demo_sh_7_x",
            sim.SUBNET_A,
            sim.ZONE_A,
            primary_ip="10.0.0.203",
            secondary_ips=("10.0.0.9",),
            create_time=sim.NOW,
        )
    )
    plan = reclaim(w, sim.later(hours=1))
    decisions = {item.name.split()[1]: (item.decision, item.reason) for item in plan.items if item.kind == "eni"}
    assert decisions == {
        "eni-idle": (
            KEEP,
            "idle shared ENI attached to instance i-node47; binds on that node reuse it (sweep idle shared ENIs to free its slot)",
        ),
        "eni-odd": (
            REPORT,
            "shared ENI holds IPs 10.0.0.9 that no PodEniIP or VpcIP records; audit them before freeing",
        ),
        "eni-spare": (RECLAIM, "created by this collection for this cluster, no reservation refers to it"),
    }
    assert plan.actions == (act.DeleteEni("eni-spare"),)


def test_a_reserved_ip_no_podeniip_records_is_reported_and_swept_only_when_asked():
    w = world()
    w.reserved[sim.SUBNET_A].add("10.0.0.77")
    reported = only(reclaim(w, sim.NOW), "reserved-ip")
    assert (reported.decision, reported.name) == (REPORT, "IP 10.0.0.77 in subnet subnet-a") and reported.actions == ()
    swept = only(reclaim(w, sim.NOW, sweep=True), "reserved-ip")
    assert swept.decision == RECLAIM and swept.actions == (act.UnreserveIp(sim.SUBNET_A, "10.0.0.77"),)


def test_a_reserved_ip_in_use_is_reported_even_when_sweeping():
    w = world()
    w.reserved[sim.SUBNET_A].add("10.0.0.47")
    item = only(reclaim(w, sim.NOW, sweep=True), "reserved-ip")
    assert item.decision == REPORT and "in use by ENI eni-primary-i-node47" in item.reason


def test_the_check_mode_preview_lists_every_step_and_every_kept_item():
    w = released_world(Mode.SHARED)
    w.reserved[sim.SUBNET_A].add("10.0.0.77")
    plan = reclaim(w, sim.later(days=2))
    assert plan.describe() == (
        "write PodEniIP default/10.0.0.2: phase Reclaiming, pod default/sts-0, IP 10.0.0.2, node 10.0.0.47, "
        "released 2026-11-26T12:00:00Z",
        "unreserve IP 10.0.0.2 in subnet subnet-a (AllocateStatus=random)",
        "delete PodEniIP default/10.0.0.2",
    )
    kept = {item.name: item.reason for item in plan.kept}
    assert kept.pop("IP 10.0.0.77 in subnet subnet-a").startswith("reserved (specific) with no PodEniIP")
    [(eni, why)] = kept.items()
    assert eni.startswith("ENI eni-0001 (kcefip_kce-demo_sh_") and why.startswith(
        "idle shared ENI"
    ), "the ENI its IP left stays for reuse"


def test_reclaim_refuses_a_cluster_name_that_cannot_mark_enis():
    with pytest.raises(InvalidSettings, match="'Bad Name'"):
        plan_reclaim([], sim.World(sim.settings()).cloud(), [], sim.NOW, "Bad Name")


def test_retention_is_per_reservation():
    w = released_world(Mode.SHARED)
    record = w.record_of(sim.sts_pod(), Mode.SHARED)
    w.put(dataclasses.replace(record, retention=Retention.parse("30m")))
    assert only(reclaim(w, sim.later(minutes=31)), "reservation").decision == RECLAIM
