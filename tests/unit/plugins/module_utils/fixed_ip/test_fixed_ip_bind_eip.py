# -*- coding: utf-8 -*-
"""Bind and the reservation's EIP (eipId): the EIP goes where the IP is, whatever the cloud did with it meanwhile."""

from __future__ import annotations

import dataclasses

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EipSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
EIP_ID = "eip-1"


def bound(mode):
    """A world where the pod is bound on node 10.0.0.47, its record carrying the EIP; (world, pod, record)."""
    w = sim.World(sim.settings(), nodes=[NODE_47]).add_primary_enis()
    pod = sim.sts_pod(mode=mode)
    w.run(plan_bind(w.pod_view(pod), NODE_47, None, w.cloud(), w.settings, sim.NOW).actions)
    record = w.put(dataclasses.replace(w.record_of(pod, mode), eip_id=EIP_ID))
    return w, pod, record


def bind_with(w, pod, record, *addresses):
    cloud = dataclasses.replace(w.cloud(), addresses=addresses)
    return plan_bind(w.pod_view(pod), NODE_47, record, cloud, w.settings, sim.NOW)


def eip_actions(plan):
    return [a for a in plan.actions if isinstance(a, (act.AssociateEip, act.DisassociateEip))]


def test_an_eip_that_dropped_off_the_shared_ip_is_associated_again_before_the_record_says_bound():
    w, pod, record = bound(Mode.SHARED)
    record = w.put(dataclasses.replace(record, phase=Phase.BINDING))
    plan = bind_with(w, pod, record, EipSnapshot(EIP_ID, "198.51.100.1"))
    assert eip_actions(plan) == [act.AssociateEip(EIP_ID, NODE_47.instance_id, record.eni_id, record.ip)]
    associate = plan.actions.index(eip_actions(plan)[0])
    done = [i for i, a in enumerate(plan.actions) if isinstance(a, act.WriteReservation)]
    assert done and plan.actions[done[-1]].reservation.phase is Phase.BOUND and associate < done[-1]
    assert plan.actions[done[-1]].reservation.eip_id == EIP_ID


def test_an_eip_already_on_the_ip_is_left_alone():
    w, pod, record = bound(Mode.SHARED)
    there = EipSnapshot(EIP_ID, state="associate", eni_id=record.eni_id, instance_id="i-47", private_ip=record.ip)
    assert eip_actions(bind_with(w, pod, record, there)) == []


def test_an_eip_left_on_another_eni_is_moved_to_where_the_ip_is():
    w, pod, record = bound(Mode.SHARED)
    elsewhere = EipSnapshot(EIP_ID, state="associate", eni_id="eni-old", instance_id="i-48", private_ip=record.ip)
    plan = bind_with(w, pod, record, elsewhere)
    assert eip_actions(plan) == [
        act.DisassociateEip(EIP_ID, elsewhere.target()),
        act.AssociateEip(EIP_ID, NODE_47.instance_id, record.eni_id, record.ip),
    ]


def test_an_exclusive_pod_gets_its_eip_on_the_primary_ip_of_its_own_eni():
    w, pod, record = bound(Mode.EXCLUSIVE)
    plan = bind_with(w, pod, record, EipSnapshot(EIP_ID))
    assert eip_actions(plan) == [act.AssociateEip(EIP_ID, NODE_47.instance_id, record.eni_id, record.ip)]
    assert w.enis[record.eni_id].primary_ip == record.ip


def test_a_released_eip_is_reported_not_invented():
    w, pod, record = bound(Mode.SHARED)
    plan = bind_with(w, pod, record)
    assert eip_actions(plan) == [] and any(
        EIP_ID in warning and "does not exist" in warning for warning in plan.warnings
    )


def test_a_reservation_without_an_eip_plans_no_eip_call():
    w, pod, record = bound(Mode.SHARED)
    record = w.put(dataclasses.replace(record, eip_id=""))
    assert eip_actions(bind_with(w, pod, record, EipSnapshot(EIP_ID))) == []


def test_an_eip_waiting_at_the_ip_itself_follows_it_without_a_call():
    w, pod, record = bound(Mode.SHARED)
    waiting = EipSnapshot(EIP_ID, state="associate", private_ip=record.ip)
    assert eip_actions(bind_with(w, pod, record, waiting)) == []


def eip_drift(w, pod, record, *addresses):
    from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.drift import find_drift

    cloud = dataclasses.replace(w.cloud(), addresses=addresses)
    found = find_drift(w.records.values(), cloud, [pod], sim.NOW, sim.CLUSTER, {NODE_47.name: NODE_47.zone})
    return [(f.kind, f.subject) for f in found if f.kind.startswith("eip-")]


def test_the_audit_shows_an_eip_that_is_gone_or_not_on_its_ip_and_nothing_when_it_is():
    w, pod, record = bound(Mode.SHARED)
    there = EipSnapshot(EIP_ID, state="associate", eni_id=record.eni_id, instance_id="i-47", private_ip=record.ip)
    assert eip_drift(w, pod, record, there) == []
    assert eip_drift(w, pod, record, EipSnapshot(EIP_ID, state="associate", private_ip=record.ip)) == []
    assert eip_drift(w, pod, record, EipSnapshot(EIP_ID)) == [("eip-not-on-its-ip", record.label())]
    elsewhere = dataclasses.replace(there, eni_id="eni-other")
    assert eip_drift(w, pod, record, elsewhere) == [("eip-not-on-its-ip", record.label())]
    assert eip_drift(w, pod, record) == [("eip-of-record-gone", record.label())]
