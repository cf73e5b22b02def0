# -*- coding: utf-8 -*-
"""CloudBehaviour: each unknown API behaviour decided once; quotas counted by it; reservations the cloud cannot list."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings, PlacementError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Steps
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import check_room_for_eni, enis_counted, ip_room
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import (
    free_steps,
    is_kept,
    may_be_kept,
    plan_release,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE = sim.node(eni_quota=2, ip_quota=3)
PRIMARY = EniSnapshot("eni-p", "", sim.SUBNET_A, sim.ZONE_A, NODE.instance_id, "10.0.0.47", is_primary=True)


def eni(eni_id, secondary=(), instance=NODE.instance_id):
    return EniSnapshot(
        eni_id,
        "kcefip_kce-demo_sh_0_10-0-0-47-1a2b3c4d",
        sim.SUBNET_A,
        sim.ZONE_A,
        instance,
        "10.0.0.9",
        tuple(secondary),
    )


def test_the_defaults_are_the_emulators_strict_ones_and_a_non_boolean_is_refused_by_name():
    assert CloudBehaviour() == CloudBehaviour(
        reserve_assigned_ip=False,
        assign_specific_ip=True,
        available_excludes_reserved=True,
        eni_quota_counts_primary=True,
        ip_quota_counts_primary=True,
        ip_quota_per_instance=False,
    )
    with pytest.raises(InvalidSettings, match="reserve_assigned_ip='yes'"):
        CloudBehaviour(reserve_assigned_ip="yes")


@pytest.mark.parametrize("counts_primary, used", [(True, 2), (False, 1)])
def test_the_eni_quota_counts_the_primary_eni_only_when_the_cloud_does(counts_primary, used):
    behaviour = CloudBehaviour(eni_quota_counts_primary=counts_primary)
    cloud = CloudSnapshot(enis=(PRIMARY, eni("eni-1")))
    assert enis_counted(NODE, cloud, behaviour) == used
    assert (
        enis_counted(NODE, CloudSnapshot(enis=(eni("eni-1"),)), behaviour) == used
    ), "a primary ENI left out of the snapshot still counts"
    if counts_primary:
        with pytest.raises(PlacementError, match="already has 2 of 2 ENIs attached .the primary one counts."):
            check_room_for_eni(NODE, cloud, behaviour, "one more ENI")
    else:
        check_room_for_eni(NODE, cloud, behaviour, "one more ENI")


@pytest.mark.parametrize(
    "behaviour, room_on_eni, room_on_new",
    [
        (CloudBehaviour(), 0, 2),
        (CloudBehaviour(ip_quota_counts_primary=False), 1, 3),
        (CloudBehaviour(ip_quota_per_instance=True), -1, -2),
        (CloudBehaviour(ip_quota_per_instance=True, ip_quota_counts_primary=False), 1, 1),
    ],
)
def test_ip_room_follows_how_the_ip_quota_counts(behaviour, room_on_eni, room_on_new):
    cloud = CloudSnapshot(enis=(PRIMARY, eni("eni-1", ["10.0.0.20", "10.0.0.21"])))
    assert ip_room(NODE, cloud, behaviour, cloud.eni("eni-1")) == room_on_eni
    assert ip_room(NODE, cloud, behaviour, None) == room_on_new


def test_an_exclusive_eni_is_refused_before_anything_is_made_when_a_per_instance_ip_quota_has_no_room_for_its_primary_ip():
    node = sim.node(eni_quota=4, ip_quota=3)
    w = sim.World(sim.settings(ip_quota_per_instance=True), nodes=[node]).add_primary_enis()
    w.add_eni(EniSnapshot("eni-full", "other", sim.SUBNET_A, sim.ZONE_A, node.instance_id, "10.0.0.30", ("10.0.0.31",)))
    pod = sim.sts_pod(mode=Mode.EXCLUSIVE)
    with pytest.raises(
        PlacementError,
        match="no room for the IPs of the exclusive ENI of pod default/sts-0: .*allows 3 private IPs per instance",
    ):
        plan_bind(w.pod_view(pod), node, None, w.cloud(), w.settings, sim.NOW, frozenset())
    plan = plan_bind(w.pod_view(pod), node, None, w.cloud(), sim.settings(), sim.NOW, frozenset())
    assert any(isinstance(a, act.CreateEni) for a in plan.actions), "per ENI, the same node has room"


def unknown_world():
    """A world whose subnet cannot show reservations (the available list lists them too)."""
    w = sim.World(sim.settings(available_excludes_reserved=False), nodes=[sim.node()]).add_primary_enis()
    w.subnets = {k: dataclasses.replace(v, reservations_known=False) for k, v in w.subnets.items()}
    return w


def test_where_reservations_cannot_be_listed_the_record_decides_and_a_released_ip_is_set_back_to_random_on_rebind():
    w = unknown_world()
    pod = sim.sts_pod()
    w.run(plan_bind(w.pod_view(pod), sim.node(), None, w.cloud(), w.settings, sim.NOW, frozenset()).actions)
    record = w.record_of(pod, Mode.SHARED)
    w.run(
        plan_release(
            dataclasses.replace(pod, deleting=True), record, w.cloud(), w.settings, sim.NOW, frozenset()
        ).actions
    )
    released = w.record_of(pod, Mode.SHARED)
    assert released.phase is Phase.RESERVED and released.ip in w.reserved[sim.SUBNET_A]
    assert is_kept(released, w.cloud(), None), "a Reserved record with no holder means the IP is kept"
    again = plan_release(dataclasses.replace(pod, deleting=True), released, w.cloud(), w.settings, sim.NOW, frozenset())
    assert again.actions == (), "a second release writes nothing"
    back = sim.sts_pod(uid="uid-2")
    plan = plan_bind(w.pod_view(back), sim.node(), released, w.cloud(), w.settings, sim.NOW, frozenset({"uid-2"}))
    assert act.UnreserveIp(sim.SUBNET_A, released.ip) in plan.actions
    w.run(plan.actions)
    assert released.ip not in w.reserved[sim.SUBNET_A]
    bound = w.record_of(back, Mode.SHARED)
    assert not may_be_kept(bound, w.cloud()), "a Bound record has set its IP back to random"


def test_where_reservations_cannot_be_listed_a_non_fixed_podeniip_release_unreserves_whatever_the_snapshot_shows():
    w = unknown_world()
    pod = sim.sts_pod(fixed=False)
    plan = plan_bind(w.pod_view(pod), sim.node(), None, w.cloud(), w.settings, sim.NOW, frozenset(), vpc_ips=False)
    w.run(plan.actions)
    record = dataclasses.replace(w.record_of(pod, Mode.SHARED), phase=Phase.BINDING)
    assert record.kind == "PodEniIP" and not record.fixed
    steps = Steps(record)
    free_steps(record, w.cloud(), w.settings, steps)
    assert act.UnreserveIp(sim.SUBNET_A, record.ip) in steps.actions, "a Binding record may still hold its IP specific"


def test_where_reservations_cannot_be_listed_a_vpcip_release_never_unreserves_its_ip():
    w = unknown_world()
    pod = sim.sts_pod(fixed=False)
    w.run(plan_bind(w.pod_view(pod), sim.node(), None, w.cloud(), w.settings, sim.NOW, frozenset()).actions)
    record = dataclasses.replace(w.record_of(pod, Mode.SHARED), phase=Phase.BINDING)
    assert record.kind == "VpcIP"
    steps = Steps(record)
    free_steps(record, w.cloud(), w.settings, steps)
    assert not any(isinstance(a, (act.UnreserveIp, act.ReserveIp)) for a in steps.actions), "a VpcIP is never reserved"
    assert steps.actions[-1] == act.DeleteReservation("default", record.ip, Mode.SHARED, vpc_ip=True)
