# -*- coding: utf-8 -*-
"""Slots: how many more ENIs and pod IPs a node can take, counted the way CloudBehaviour says the cloud counts."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import (
    bare_instance,
    check_room_for_eni,
    eni_capacity,
    eni_room,
    ip_room,
    pod_ip_capacity,
    pod_ip_room,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

N3_2B = sim.node(eni_quota=4, ip_quota=10)
PRIMARY = EniSnapshot("eni-p", "", sim.SUBNET_A, sim.ZONE_A, N3_2B.instance_id, "10.0.0.47", is_primary=True)


def eni(eni_id, secondary=(), instance=N3_2B.instance_id, primary_ip="10.0.0.9"):
    return EniSnapshot(eni_id, "eni " + eni_id, sim.SUBNET_A, sim.ZONE_A, instance, primary_ip, tuple(secondary))


def behaviour(eni_primary, ip_primary, per_instance):
    return CloudBehaviour(
        eni_quota_counts_primary=eni_primary, ip_quota_counts_primary=ip_primary, ip_quota_per_instance=per_instance
    )


# (eni quota counts the primary ENI, IP quota counts primary IPs, IP quota per instance) -> ENIs, pod IPs of an
# empty N3.2B (4 ENIs, 10 IPs).
CAPACITY = {
    (True, True, False): (3, 3 * 9),
    (False, True, False): (4, 4 * 9),
    (True, False, False): (3, 3 * 10),
    (False, False, False): (4, 4 * 10),
    # Per instance: the primary ENI's IP and one carrier ENI's primary IP come off the ten.
    (True, True, True): (3, 10 - 2),
    (False, True, True): (4, 10 - 2),
    (True, False, True): (3, 10),
    (False, False, True): (4, 10),
}


@pytest.mark.parametrize("flags", sorted(CAPACITY), ids=lambda f: "eniP=%s-ipP=%s-perInstance=%s" % f)
def test_an_empty_node_offers_its_types_eni_slots_and_the_pod_ips_they_can_hold(flags):
    enis, ips = CAPACITY[flags]
    assert (eni_capacity(N3_2B, behaviour(*flags)), pod_ip_capacity(N3_2B, behaviour(*flags))) == (enis, ips)
    booted = CloudSnapshot(enis=(PRIMARY,))
    assert eni_room(N3_2B, booted, behaviour(*flags)) == enis, "a booted instance is the bare instance"
    assert pod_ip_room(N3_2B, booted, behaviour(*flags)) == ips


@pytest.mark.parametrize("flags", sorted(CAPACITY), ids=lambda f: "eniP=%s-ipP=%s-perInstance=%s" % f)
def test_eni_room_is_exactly_what_check_room_for_eni_lets_through(flags):
    """Attach ENIs one by one while the flows' own check allows it: eni_room counted each of them, and no more."""
    cloud_behaviour = behaviour(*flags)
    for quota in (2, 3, 4):
        node = sim.node(eni_quota=4, ip_quota=quota)
        enis = [PRIMARY]
        expected = eni_room(node, CloudSnapshot(enis=tuple(enis)), cloud_behaviour)
        taken = 0
        for number in itertools.count():
            cloud = CloudSnapshot(enis=tuple(enis))
            assert eni_room(node, cloud, cloud_behaviour) == expected - taken
            try:
                check_room_for_eni(node, cloud, cloud_behaviour, "ENI %d" % number)
            except Exception:  # noqa: BLE001 - the refusal ends the fill
                break
            enis.append(eni("eni-%d" % number, primary_ip="10.0.0.%d" % (100 + number)))
            taken += 1
        assert taken == expected, "quota %d: check_room_for_eni took %d ENIs, eni_room said %d" % (
            quota,
            taken,
            expected,
        )


def test_an_eni_attached_out_of_band_takes_a_slot_and_the_pod_ips_a_new_eni_there_would_hold():
    cloud = CloudSnapshot(enis=(PRIMARY, eni("eni-oob")))
    default = CloudBehaviour()
    assert eni_room(N3_2B, cloud, default) == 2
    assert pod_ip_room(N3_2B, cloud, default) == 2 * 9, "the out-of-band ENI carries no pod IP"
    full = CloudSnapshot(enis=(PRIMARY, eni("a"), eni("b"), eni("c")))
    assert (eni_room(N3_2B, full, default), pod_ip_room(N3_2B, full, default)) == (0, 0)


def test_a_carrier_eni_offers_what_it_has_left_and_the_free_slots_what_new_enis_would_hold():
    carrier = eni("eni-sh", secondary=("10.0.0.20", "10.0.0.21", "10.0.0.22"))
    cloud = CloudSnapshot(enis=(PRIMARY, carrier))
    per_eni = CloudBehaviour()
    assert pod_ip_room(N3_2B, cloud, per_eni, {"eni-sh"}) == (9 - 3) + 2 * 9
    assert pod_ip_room(N3_2B, cloud, per_eni) == 2 * 9, "an ENI not named as a carrier takes no pod IP"
    per_instance = CloudBehaviour(ip_quota_per_instance=True)
    # Ten IPs for the instance: the primary ENI's, the carrier's primary and its three secondary IPs are taken.
    assert pod_ip_room(N3_2B, cloud, per_instance, {"eni-sh"}) == 10 - 5
    assert pod_ip_room(N3_2B, cloud, per_instance, {"eni-sh"}) == ip_room(N3_2B, cloud, per_instance, carrier)
    assert pod_ip_room(N3_2B, cloud, per_instance) == 10 - 5 - 1, "without a carrier a new ENI costs its primary IP"


def test_out_of_band_ips_count_against_a_per_instance_quota_wherever_they_are():
    primary_with_ips = EniSnapshot(
        "eni-p",
        "",
        sim.SUBNET_A,
        sim.ZONE_A,
        N3_2B.instance_id,
        "10.0.0.47",
        ("10.0.0.60", "10.0.0.61"),
        is_primary=True,
    )
    cloud = CloudSnapshot(enis=(primary_with_ips,))
    assert pod_ip_room(N3_2B, cloud, CloudBehaviour(ip_quota_per_instance=True)) == 8 - 2
    assert pod_ip_room(N3_2B, cloud, CloudBehaviour()) == 27, "per ENI, the primary ENI's own IPs take no pod IP slot"


def test_a_node_over_its_quota_has_no_room_rather_than_negative_room():
    tiny = sim.node(eni_quota=2, ip_quota=3)
    crowded = CloudSnapshot(
        enis=(
            EniSnapshot("eni-p", "", sim.SUBNET_A, sim.ZONE_A, tiny.instance_id, "10.0.0.47", is_primary=True),
            eni("a", ("10.0.0.20", "10.0.0.21", "10.0.0.22"), instance=tiny.instance_id),
            eni("b", instance=tiny.instance_id),
        )
    )
    for flags in CAPACITY:
        assert (eni_room(tiny, crowded, behaviour(*flags)), pod_ip_room(tiny, crowded, behaviour(*flags), {"a"})) == (
            0,
            0,
        ), flags


def test_a_type_whose_ip_quota_leaves_no_pod_ip_offers_none():
    one_ip = sim.node(eni_quota=4, ip_quota=1)
    assert pod_ip_capacity(one_ip, CloudBehaviour()) == 0, "each ENI's only IP is its primary IP"
    assert pod_ip_capacity(one_ip, CloudBehaviour(ip_quota_counts_primary=False)) == 3
    assert eni_capacity(one_ip, CloudBehaviour(ip_quota_per_instance=True)) == 0, "the primary ENI took the only IP"
    assert eni_capacity(sim.node(eni_quota=1, ip_quota=10), CloudBehaviour()) == 0, "only the primary ENI"


def test_the_bare_instance_is_its_primary_eni_alone():
    [primary] = bare_instance(N3_2B).enis
    assert primary.is_primary and primary.instance_id == N3_2B.instance_id and not primary.secondary_ips
