# -*- coding: utf-8 -*-
"""A pre-provisioned fixed IP with an elastic public IP: allocated and named once, or an existing one checked and
recorded; associated only when a pod holds the IP; refused when it belongs elsewhere."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AllocateEip,
    AssociateEip,
    NameEip,
    ReserveIp,
    WriteReservation,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import PlacementError, ReservationConflict
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import eip_name
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_EIP, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reserve import EipSpec, plan_reserve
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import EIP_ASSOCIATED, EipSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip.test_fixed_ip_reserve import (
    NODE_ENI,
    SETTINGS,
    cloud,
    request,
    reserved_record,
)

EIP_ID = "9c3f6a10-7d4e-4b2a-8f1c-0d5e6a7b8c9d"
NAME = eip_name("kce-demo", "default", "sts-0")
FREE = EipSnapshot(EIP_ID, "198.51.100.7")
NEW = Ref(NEW_EIP, "allocation_id")


def with_eips(snapshot, *eips):
    return dataclasses.replace(snapshot, addresses=eips)


def bound_record(**changes):
    base = dict(
        phase=Phase.BOUND,
        ip="10.0.0.12",
        eni_id=NODE_ENI.eni_id,
        instance_id=NODE_ENI.instance_id,
        pod_uid="uid-1",
    )
    base.update(changes)
    return reserved_record(**base)


def test_eip_names_carry_cluster_namespace_and_pod_and_stay_short():
    assert NAME == "kcefip_kce-demo_eip_default_sts-0"
    long = eip_name("kce-demo", "n" * 63, "p" * 63)
    assert len(long) <= 64 and long != eip_name("kce-demo", "n" * 63, "p" * 62)


def test_a_new_reservation_with_eip_true_allocates_names_and_records_one_after_the_ip_is_reserved():
    spec = EipSpec(band_width=5, charge_type="Daily")
    plan = plan_reserve(request(eip=True, eip_spec=spec), None, with_eips(cloud()), SETTINGS, {})
    kinds = [type(action) for action in plan.actions]
    assert kinds == [WriteReservation, ReserveIp, AllocateEip, NameEip, WriteReservation]
    allocate, name, last = plan.actions[2], plan.actions[3], plan.actions[4]
    assert (allocate.ref, allocate.band_width, allocate.charge_type) == (NEW_EIP, 5, "Daily")
    assert (name.eip, name.name) == (NEW, NAME)
    assert last.reservation.eip_id == NEW and plan.reservation.eip_id == NEW
    # The first write (before any cloud call) has no EIP yet: a crash leaves a record to resume from.
    assert plan.actions[0].reservation.eip_id == ""
    # Reserved, no pod holds the IP: the bind flow associates the EIP, not this plan.
    assert not any(isinstance(action, AssociateEip) for action in plan.actions)


def test_an_eip_named_for_the_pod_is_adopted_after_a_crash_instead_of_allocating_another():
    named = dataclasses.replace(FREE, name=NAME)
    record = reserved_record()
    plan = plan_reserve(request(eip=True), record, with_eips(cloud(reserved=["10.0.0.236"]), named), SETTINGS, {})
    assert plan.actions == (WriteReservation(dataclasses.replace(record, eip_id=EIP_ID)),)


def test_a_rerun_with_the_eip_recorded_plans_nothing():
    record = reserved_record(eip_id=EIP_ID)
    plan = plan_reserve(request(eip=True), record, with_eips(cloud(reserved=["10.0.0.236"]), FREE), SETTINGS, {})
    assert plan.actions == () and plan.reservation == record


def test_a_bound_record_gets_its_new_eip_associated_with_the_ip_where_its_eni_holds_it():
    record = bound_record()
    plan = plan_reserve(request(eip=True, ip=""), record, with_eips(cloud()), SETTINGS, {})
    assert plan.actions[-1] == AssociateEip(NEW, NODE_ENI.instance_id, NODE_ENI.eni_id, "10.0.0.12")
    assert [type(action) for action in plan.actions] == [AllocateEip, NameEip, WriteReservation, AssociateEip]


def test_a_bound_record_whose_eip_is_free_gets_it_associated_and_one_already_there_gets_nothing():
    record = bound_record(eip_id=EIP_ID)
    free = plan_reserve(request(eip=True, ip=""), record, with_eips(cloud(), FREE), SETTINGS, {})
    assert free.actions == (AssociateEip(EIP_ID, NODE_ENI.instance_id, NODE_ENI.eni_id, "10.0.0.12"),)
    there = dataclasses.replace(
        FREE, state=EIP_ASSOCIATED, eni_id=NODE_ENI.eni_id, instance_id="i-47", private_ip="10.0.0.12"
    )
    assert plan_reserve(request(eip=True, ip=""), record, with_eips(cloud(), there), SETTINGS, {}).actions == ()


def test_a_recorded_eip_associated_elsewhere_is_left_where_it_is_with_a_warning():
    elsewhere = dataclasses.replace(
        FREE, state=EIP_ASSOCIATED, eni_id="eni-x", instance_id="i-9", private_ip="10.0.0.9"
    )
    plan = plan_reserve(
        request(eip=True, ip=""), bound_record(eip_id=EIP_ID), with_eips(cloud(), elsewhere), SETTINGS, {}
    )
    assert plan.actions == ()
    assert "associated with 10.0.0.9 of network interface eni-x" in plan.warnings[0]
    assert "state=bound moves it" in plan.warnings[0]


def test_an_existing_eip_by_id_is_recorded_and_associated_when_the_pod_holds_the_ip():
    plan = plan_reserve(request(eip_id=EIP_ID, ip=""), bound_record(), with_eips(cloud(), FREE), SETTINGS, {})
    assert [type(action) for action in plan.actions] == [WriteReservation, AssociateEip]
    assert plan.reservation.eip_id == EIP_ID


@pytest.mark.parametrize(
    "eip, owners, record, message",
    [
        (None, {}, None, "eip_id %s of pod default/sts-0: no elastic IP has that allocation id" % EIP_ID),
        (
            FREE,
            {EIP_ID: "PodEniIP default/10.0.0.11"},
            None,
            "goes with PodEniIP default/10.0.0.11 already",
        ),
        (
            dataclasses.replace(FREE, state=EIP_ASSOCIATED, eni_id="eni-x", instance_id="i-9", private_ip="10.0.0.9"),
            {},
            None,
            "is associated with 10.0.0.9 of network interface eni-x (instance i-9); disassociate it first",
        ),
        (FREE, {}, "other", "keeps elastic IP 11111111-2222-4333-8444-555555555555"),
    ],
    ids=["unknown-id", "kept-by-another-record", "bound-elsewhere", "record-has-another"],
)
def test_bad_eips_are_refused_before_anything_is_planned(eip, owners, record, message):
    existing = reserved_record(eip_id="11111111-2222-4333-8444-555555555555") if record else None
    snapshot = with_eips(cloud(reserved=["10.0.0.236"] if record else ()), *([eip] if eip else []))
    if record:
        snapshot = with_eips(snapshot, FREE, EipSnapshot("11111111-2222-4333-8444-555555555555", "198.51.100.8"))
    with pytest.raises((ReservationConflict, PlacementError)) as info:
        plan_reserve(request(eip_id=EIP_ID), existing, snapshot, SETTINGS, {}, eip_owners=owners)
    assert message in str(info.value)


def test_a_recorded_eip_that_was_released_is_refused_with_the_way_out():
    record = reserved_record(eip_id=EIP_ID)
    with pytest.raises(ReservationConflict) as info:
        plan_reserve(request(eip=True), record, with_eips(cloud(reserved=["10.0.0.236"])), SETTINGS, {})
    assert "elastic IP %s of PodEniIP default/10.0.0.236 (IP 10.0.0.236) no longer exists" % EIP_ID in str(info.value)
    assert 'eip_id ""' in str(info.value)


def test_two_eips_with_the_pods_name_are_refused():
    twins = (dataclasses.replace(FREE, name=NAME), EipSnapshot("eip-2", "198.51.100.9", name=NAME))
    with pytest.raises(ReservationConflict, match="2 elastic IPs are named %s" % NAME):
        plan_reserve(request(eip=True), None, with_eips(cloud(), *twins), SETTINGS, {})


def test_exclusive_mode_records_the_eip_after_the_eni_and_leaves_association_to_bind():
    plan = plan_reserve(request(eip=True, mode=Mode.EXCLUSIVE), None, with_eips(cloud()), SETTINGS, {})
    names = [type(action).__name__ for action in plan.actions]
    assert names == ["WriteReservation", "CreateEni", "WriteReservation", "AllocateEip", "NameEip", "WriteReservation"]
    assert plan.reservation.eip_id == NEW


def test_no_eip_wanted_leaves_the_plan_as_before():
    plain = plan_reserve(request(), None, cloud(), SETTINGS, {})
    assert [type(action) for action in plain.actions] == [WriteReservation, ReserveIp]
    assert plain.reservation.eip_id == ""
