# -*- coding: utf-8 -*-
"""Reclaim and the reservation's elastic public IP (eipId): kept and reported by default; with release_eips, released
first (disassociated if it is on the record's IP), never when it was moved elsewhere, skipped when it is gone."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import (
    GONE,
    KEEP,
    RECLAIM,
    RELEASE,
    ReclaimOptions,
    plan_manual_reclaim,
    plan_reclaim,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EIP_ASSOCIATED, EipSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
EIP_ID = "eip-1"
PUBLIC_IP = "198.51.100.7"
LATER = sim.later(days=3)


class EipWorld(sim.World):
    """The simulator with elastic IPs: DisassociateAddress, and ReleaseAddress refused while associated (as the cloud
    does by default)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = {}

    def cloud(self):
        return dataclasses.replace(super().cloud(), addresses=tuple(self.addresses[k] for k in sorted(self.addresses)))

    def state(self):
        return super().state() + (sorted(dataclasses.astuple(eip) for eip in self.addresses.values()),)

    def _DisassociateEip(self, action):
        eip = self.addresses.get(action.eip)
        if eip is None or not eip.associated:
            raise sim.SimError("elastic IP %s is not associated" % action.eip)
        self.addresses[action.eip] = dataclasses.replace(
            eip, state="disassociate", eni_id="", instance_id="", private_ip=""
        )

    def _ReleaseEip(self, action):
        eip = self.addresses.get(action.eip)
        if eip is None:
            raise sim.SimError("elastic IP %s not found" % action.eip)
        if eip.associated:
            raise sim.SimError("elastic IP %s is associated; disassociate it first" % action.eip)
        del self.addresses[action.eip]


def mode_of(pod):
    return Mode.SHARED if "k8s.ksyun.com/pod-eniip" in pod.annotations else Mode.EXCLUSIVE


def released_with_eip(mode, where="on its ip"):
    """A pod bound then deleted (its IP kept), its record naming EIP_ID; where the EIP is: "on its ip" (on the ENI that
    holds the IP, or free when no ENI holds it), "waiting at its ip" (associated with the IP, no ENI), "elsewhere"
    (another instance's IP), "same ip, other eni", "free" or "gone"; (world, record)."""
    w = EipWorld(sim.settings(default_retention="24h"), nodes=[NODE_47]).add_primary_enis()
    pod = sim.sts_pod(mode=mode)
    w.run(plan_bind(w.pod_view(pod), NODE_47, None, w.cloud(), w.settings, sim.NOW).actions)
    gone = dataclasses.replace(w.pod_view(pod), deleting=True)
    w.run(plan_release(gone, w.record_of(pod, mode), w.cloud(), w.settings, sim.NOW, frozenset()).actions)
    record = w.put(dataclasses.replace(w.record_of(pod, mode), eip_id=EIP_ID))
    holder = w.cloud().holder_of(record.ip)
    associated = {"state": EIP_ASSOCIATED, "instance_id": "i-node47"}
    places = {
        "on its ip": (dict(associated, eni_id=holder.eni_id, private_ip=record.ip) if holder is not None else {}),
        "waiting at its ip": dict(associated, private_ip=record.ip),
        "elsewhere": dict(associated, eni_id="eni-of-another-instance", instance_id="i-other", private_ip="10.0.0.99"),
        "same ip, other eni": dict(associated, eni_id="eni-of-another-vpc", private_ip=record.ip),
        "free": {},
    }
    if where != "gone":
        w.addresses[EIP_ID] = EipSnapshot(EIP_ID, PUBLIC_IP, **places[where])
    return w, record


def reclaim(w, release=True):
    options = ReclaimOptions(release_eips=release)
    return plan_reclaim(list(w.records.values()), w.cloud(), (), LATER, sim.CLUSTER, options)


def the_item(plan):
    [item] = [each for each in plan.items if each.kind == "reservation"]
    return item


def names(actions):
    return [type(action).__name__ for action in actions]


def private_ip_steps(mode):
    return ["DeleteEni"] if mode is Mode.EXCLUSIVE else ["UnreserveIp"]


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_by_default_reclaim_frees_the_private_ip_and_keeps_the_eip_saying_why(mode):
    w, record = released_with_eip(mode)
    item = the_item(reclaim(w, release=False))
    assert item.decision == RECLAIM
    assert names(item.actions) == ["WriteReservation"] + private_ip_steps(mode) + ["DeleteReservation"]
    assert (item.eip.eip_id, item.eip.decision) == (EIP_ID, KEEP) and "release_eips" in item.eip.reason
    w.run(item.actions)
    assert w.records == {} and EIP_ID in w.addresses


def test_with_release_eips_an_eip_on_the_exclusive_enis_ip_is_disassociated_released_then_the_eni_deleted():
    w, record = released_with_eip(Mode.EXCLUSIVE)
    assert w.addresses[EIP_ID].bound_to(record.eni_id, record.ip)
    item = the_item(reclaim(w))
    assert (item.decision, item.eip.decision, item.eip.public_ip) == (RECLAIM, RELEASE, PUBLIC_IP)
    assert item.actions == (
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)),
        act.DisassociateEip(EIP_ID, w.addresses[EIP_ID].target()),
        act.ReleaseEip(EIP_ID),
        act.DeleteEni(record.eni_id),
        act.DeleteReservation(record.namespace, record.record_name(), Mode.EXCLUSIVE),
    )
    # The record that still names the EIP is marked first; the EIP goes before the ENI and the record.
    assert item.actions[0].reservation.eip_id == EIP_ID
    w.run(item.actions)
    assert w.records == {} and w.addresses == {} and record.eni_id not in w.enis


@pytest.mark.parametrize("where", ["free", "waiting at its ip"])
def test_with_release_eips_a_shared_reservations_eip_is_released_before_its_ip_is_unreserved(where):
    w, record = released_with_eip(Mode.SHARED, where)
    item = the_item(reclaim(w))
    expected = ["WriteReservation"] + (["DisassociateEip"] if where != "free" else []) + ["ReleaseEip"]
    assert names(item.actions) == expected + ["UnreserveIp", "DeleteReservation"]
    assert item.eip.decision == RELEASE
    w.run(item.actions)
    assert w.records == {} and w.addresses == {} and record.ip not in w.reserved[sim.SUBNET_A]


@pytest.mark.parametrize("where", ["elsewhere", "same ip, other eni"])
@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_an_eip_moved_to_something_other_than_the_records_ip_is_kept_and_the_private_ip_freed(mode, where):
    w, record = released_with_eip(mode, where)
    moved = w.addresses[EIP_ID]
    item = the_item(reclaim(w))
    assert item.decision == RECLAIM
    assert names(item.actions) == ["WriteReservation"] + private_ip_steps(mode) + ["DeleteReservation"]
    assert item.eip.decision == KEEP and item.eip.public_ip == PUBLIC_IP
    assert moved.target() in item.eip.reason and "not with the record's IP %s" % record.ip in item.eip.reason
    w.run(item.actions)
    assert w.records == {} and w.addresses == {EIP_ID: moved}


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_an_eip_that_no_longer_exists_is_skipped(mode):
    w, record = released_with_eip(mode, "gone")
    item = the_item(reclaim(w))
    assert names(item.actions) == ["WriteReservation"] + private_ip_steps(mode) + ["DeleteReservation"]
    assert item.eip.decision == GONE and EIP_ID in item.eip.reason


def test_a_reservation_without_an_eip_has_no_eip_decision_and_no_eip_step():
    w, record = released_with_eip(Mode.SHARED, "gone")
    w.put(dataclasses.replace(record, eip_id=""))
    item = the_item(reclaim(w))
    assert item.eip is None and not any(isinstance(a, (act.ReleaseEip, act.DisassociateEip)) for a in item.actions)


def test_a_reservation_that_is_kept_plans_nothing_for_its_eip():
    w, record = released_with_eip(Mode.SHARED)
    plan = plan_reclaim(
        list(w.records.values()), w.cloud(), (), sim.NOW, sim.CLUSTER, ReclaimOptions(release_eips=True)
    )
    assert the_item(plan).decision == KEEP and plan.actions == () and the_item(plan).eip is None


@pytest.mark.parametrize("mode", list(Mode), ids=lambda m: m.value)
def test_a_reclaim_with_eip_release_resumes_after_a_crash_at_any_step(mode):
    """A crash after DisassociateAddress finds the EIP free, after ReleaseAddress finds it gone: each rerun goes on."""
    w, record = released_with_eip(mode, "on its ip" if mode is Mode.EXCLUSIVE else "waiting at its ip")
    plan, done = sim.assert_resumable(w, reclaim)
    assert names(plan.actions)[1:3] == ["DisassociateEip", "ReleaseEip"]
    assert done.records == {} and done.addresses == {}


def test_the_manual_reclaim_releases_the_eip_of_a_running_pod_only_with_force_and_release_eips():
    w, record = released_with_eip(Mode.SHARED, "waiting at its ip")
    running = sim.sts_pod(mode=Mode.SHARED, pod_ip=record.ip)
    refused = plan_manual_reclaim(record, w.cloud(), [running], sim.CLUSTER, release_eips=True)
    assert refused.decision == KEEP and refused.actions == ()
    kept = plan_manual_reclaim(record, w.cloud(), [running], sim.CLUSTER, force=True)
    assert kept.eip.decision == KEEP and not any(isinstance(a, act.ReleaseEip) for a in kept.actions)
    item = plan_manual_reclaim(record, w.cloud(), [running], sim.CLUSTER, force=True, release_eips=True)
    assert item.target == record.label() and item.eip.decision == RELEASE
    assert names(item.actions) == [
        "WriteReservation",
        "DisassociateEip",
        "ReleaseEip",
        "UnreserveIp",
        "DeleteReservation",
    ]
