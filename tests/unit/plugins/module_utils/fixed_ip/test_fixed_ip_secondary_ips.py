# -*- coding: utf-8 -*-
"""eni_private_ip's planner, compensation and preview: the fixed IP flows' safe orders for one ENI, pure."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.compensate import compensation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preview import RANDOM_IP, preview
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.secondary_ips import (
    SecondaryIpRequest,
    plan_secondary_ips,
    reserved_among,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    SubnetSnapshot,
)

ENI = EniSnapshot("eni-1", "n", "s-1", "z", "i-1", "10.0.0.47", ("10.0.0.20",))
OTHER = EniSnapshot("eni-2", "n", "s-1", "z", "i-2", "10.0.0.48", ("10.0.0.30",))
SUBNET = SubnetSnapshot("s-1", "10.0.0.0/24", "z", reserved_ips=frozenset({"10.0.0.40"}), random_available_count=5)
CLOUD = CloudSnapshot(enis=(ENI, OTHER), subnets=(SUBNET,))
DEFAULT = CloudBehaviour()


def plan(request, behaviour=DEFAULT, eni=ENI):
    return plan_secondary_ips(eni, SUBNET, CLOUD, request, behaviour)


def test_named_ips_are_assigned_purged_and_nothing_is_planned_when_the_eni_holds_them_already():
    assert plan(SecondaryIpRequest(ips=("10.0.0.20",))).actions == ()
    assert plan(SecondaryIpRequest(ips=("10.0.0.21",), purge=True)).actions == (
        act.UnassignIp("eni-1", "10.0.0.20"),
        act.AssignIp("eni-1", "10.0.0.21"),
    )


@pytest.mark.parametrize(
    "behaviour, order",
    [
        (DEFAULT, [act.AssignIp("eni-1", "10.0.0.40"), act.UnreserveIp("s-1", "10.0.0.40")]),
        (
            CloudBehaviour(assign_specific_ip=False),
            [act.UnreserveIp("s-1", "10.0.0.40"), act.AssignIp("eni-1", "10.0.0.40")],
        ),
    ],
)
def test_a_reserved_ip_moved_onto_the_eni_follows_the_order_the_cloud_allows(behaviour, order):
    assert list(plan(SecondaryIpRequest(ips=("10.0.0.40",), reserved=False), behaviour).actions) == order


@pytest.mark.parametrize(
    "behaviour, order",
    [
        (DEFAULT, [act.UnassignIp("eni-1", "10.0.0.20"), act.ReserveIp("s-1", "10.0.0.20")]),
        (
            CloudBehaviour(reserve_assigned_ip=True),
            [act.ReserveIp("s-1", "10.0.0.20"), act.UnassignIp("eni-1", "10.0.0.20")],
        ),
    ],
)
def test_an_ip_released_into_a_reservation_follows_the_order_the_cloud_allows(behaviour, order):
    assert list(plan(SecondaryIpRequest(ips=("10.0.0.20",), reserved=True, present=False), behaviour).actions) == order


def test_what_cannot_be_done_is_refused_before_anything_is_planned():
    with pytest.raises(RequestRefused, match="10.0.0.30 is already assigned to network interface eni-2"):
        plan(SecondaryIpRequest(ips=("10.0.0.30",)))
    with pytest.raises(RequestRefused, match="10.0.0.47 is the primary IP"):
        plan(SecondaryIpRequest(ips=("10.0.0.47",)))
    with pytest.raises(RequestRefused, match="cannot assign a reserved IP"):
        plan(SecondaryIpRequest(ips=("10.0.0.41",), reserved=True), CloudBehaviour(assign_specific_ip=False))
    with pytest.raises(RequestRefused, match="subnet s-1 has 5 addresses free for random allocation but 9 more"):
        plan(SecondaryIpRequest(count=10))
    with pytest.raises(RequestRefused, match="reserve it as it is unassigned"):
        plan(SecondaryIpRequest(ips=("10.0.0.30",), reserved=True), eni=None)


def test_free_subnet_ips_are_reserved_only_when_they_are_not_and_a_held_one_is_left_alone_with_a_warning():
    reserve = plan(SecondaryIpRequest(ips=("10.0.0.40", "10.0.0.41"), reserved=True), eni=None)
    assert reserve.actions == (act.ReserveIp("s-1", "10.0.0.41"),)
    kept = plan(SecondaryIpRequest(ips=("10.0.0.30",), reserved=False, present=False))
    assert kept.actions == () and "held by network interface eni-2" in kept.warnings[0]
    assert reserved_among(SUBNET, CLOUD, ["10.0.0.40", "10.0.0.41"]) == ["10.0.0.40"]


def test_a_count_is_filled_at_random_and_purge_trims_from_the_end():
    assert plan(SecondaryIpRequest(count=3)).actions == (act.AssignRandomIps("eni-1", 2),)
    two = EniSnapshot("eni-1", "n", "s-1", "z", "i-1", "10.0.0.47", ("10.0.0.20", "10.0.0.21"))
    assert plan(SecondaryIpRequest(count=1, purge=True), eni=two).actions == (act.UnassignIp("eni-1", "10.0.0.21"),)


def test_compensation_closes_each_window_and_says_what_it_did_or_left_open():
    unassigned = compensation(act.ReserveIp("s-1", "10.0.0.20"), [act.UnassignIp("eni-1", "10.0.0.20")])
    assert unassigned.actions == (act.AssignIp("eni-1", "10.0.0.20"),) and "assigned back" in unassigned.undone
    assert "neither assigned nor reserved" in unassigned.left_open
    unreserved = compensation(act.AssignIp("eni-1", "10.0.0.40"), [act.UnreserveIp("s-1", "10.0.0.40")])
    assert unreserved.actions == (act.ReserveIp("s-1", "10.0.0.40"),) and "restored" in unreserved.undone
    moved = compensation(act.AttachEni("eni-1", "i-2"), [act.DetachEni("eni-1", "i-1")])
    assert moved.actions == (act.AttachEni("eni-1", "i-1"),) and "attached back to i-1" in moved.undone
    created = compensation(
        act.AttachEni("e-new", "i-1"), [act.CreateEni("new-eni", "s-1", "n", ("sg",))], created_eni="e-new"
    )
    assert (
        created.actions == (act.DetachEni("e-new", "i-1"), act.DeleteEni("e-new")) and "deleted again" in created.undone
    )
    safe = compensation(act.UnreserveIp("s-1", "10.0.0.40"), [act.AssignIp("eni-1", "10.0.0.40")])
    assert safe.actions == () and "still reserved, which is safe" in safe.undone
    assert compensation(act.DeleteEni("eni-1"), []).actions == ()


def test_the_preview_applies_cloud_actions_to_the_snapshot_without_guessing_what_the_cloud_chooses():
    planned = [
        act.CreateEni("new-eni", "s-1", "new", ("sg",)),
        act.AttachEni(Ref(), "i-1"),
        act.AssignRandomIps("eni-1", 2),
        act.UnassignIp("eni-1", "10.0.0.20"),
        act.ReserveIp("s-1", "10.0.0.50"),
        act.UnreserveIp("s-1", "10.0.0.40"),
        act.RenameEni("eni-2", "renamed"),
        act.DetachEni("eni-2", "i-2"),
        act.DeleteEni("eni-2"),
    ]
    after = preview(CLOUD, planned)
    new = after.eni("<new-eni.eni_id>")
    assert new.instance_id == "i-1" and new.primary_ip == "<new-eni.primary_ip>" and new.name == "new"
    assert after.eni("eni-1").secondary_ips == (RANDOM_IP, RANDOM_IP) and after.eni("eni-2") is None
    assert after.subnet("s-1").reserved_ips == {"10.0.0.50"}
