# -*- coding: utf-8 -*-
"""Pre-provisioning a fixed IP before its pod exists: what is planned, in which order, and what is refused."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import CreateEni, ReserveIp, WriteReservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    CrossSubnetRefused,
    PlacementError,
    ReservationConflict,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reserve import (
    ReserveRequest,
    plan_reserve,
    resolve_zone,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    SubnetSnapshot,
)

SUBNET_A, SUBNET_B = "5f2c7a10-0002-4a6e-9c1b-000000000001", "5f2c7a10-0002-4a6e-9c1b-000000000002"
SG = "5f2c7a10-0003-4a6e-9c1b-000000000001"
SETTINGS = Settings(
    cluster_name="kce-demo",
    security_group_ids=(SG,),
    pod_subnets={"cn-beijing-6a": (SUBNET_A,), "cn-beijing-6b": (SUBNET_B,)},
    default_retention=Retention.parse("24h"),
)
NODE_ENI = EniSnapshot(
    eni_id="eni-node-47",
    name="10.0.0.47-primary",
    subnet_id=SUBNET_A,
    zone="cn-beijing-6a",
    instance_id="i-47",
    primary_ip="10.0.0.47",
    secondary_ips=("10.0.0.12",),
    is_primary=True,
)


def cloud(reserved=(), enis=(NODE_ENI,), available_a=("10.0.0.10", "10.0.0.11", "10.0.0.236")):
    return CloudSnapshot(
        enis=enis,
        subnets=(
            SubnetSnapshot(
                SUBNET_A,
                "10.0.0.0/24",
                "cn-beijing-6a",
                gateway_ip="10.0.0.1",
                reserved_ips=frozenset(reserved),
                available_ips=available_a,
            ),
            SubnetSnapshot(
                SUBNET_B, "10.0.1.0/24", "cn-beijing-6b", gateway_ip="10.0.1.1", available_ips=("10.0.1.10",)
            ),
        ),
    )


def request(**changes):
    base = dict(namespace="default", pod_name="sts-0", mode=Mode.SHARED, zone="cn-beijing-6a", ip="10.0.0.236")
    base.update(changes)
    return ReserveRequest(**base)


def reserved_record(**changes):
    base = dict(
        namespace="default",
        pod_name="sts-0",
        mode=Mode.SHARED,
        ip="10.0.0.236",
        subnet_id=SUBNET_A,
        zone="cn-beijing-6a",
        retention=Retention.parse("24h"),
        phase=Phase.RESERVED,
    )
    base.update(changes)
    return Reservation(**base)


def test_a_chosen_free_ip_is_recorded_as_reserved_for_no_pod_yet_then_reserved_in_its_subnet():
    plan = plan_reserve(request(), None, cloud(), SETTINGS, {})
    assert plan.actions == (WriteReservation(reserved_record()), ReserveIp(SUBNET_A, "10.0.0.236"))
    assert (
        plan.reservation.pod_uid == ""
        and plan.reservation.phase is Phase.RESERVED
        and plan.reservation.released_at is None
    )


def test_a_reservation_gets_the_cluster_default_retention_unless_one_is_given():
    assert plan_reserve(request(), None, cloud(), SETTINGS, {}).reservation.retention == Retention.parse("24h")
    assert plan_reserve(
        request(retention=Retention.parse("7d")), None, cloud(), SETTINGS, {}
    ).reservation.retention == Retention.parse("7d")


def test_an_ip_outside_the_zones_pod_subnets_is_refused_naming_ip_and_subnets():
    with pytest.raises(
        CrossSubnetRefused, match=r"IP 10\.0\.1\.10 .*zone cn-beijing-6a: %s \(10\.0\.0\.0/24\)" % SUBNET_A
    ):
        plan_reserve(request(ip="10.0.1.10"), None, cloud(), SETTINGS, {})


def test_an_ip_an_eni_holds_is_refused_naming_the_eni():
    with pytest.raises(ReservationConflict, match="IP 10.0.0.12 is in use by ENI eni-node-47"):
        plan_reserve(request(ip="10.0.0.12"), None, cloud(available_a=("10.0.0.10",)), SETTINGS, {})


def test_an_ip_reserved_by_something_else_is_refused():
    with pytest.raises(ReservationConflict, match="already reserved in subnet .* no PodEniIP records it"):
        plan_reserve(request(), None, cloud(reserved=("10.0.0.236",), available_a=("10.0.0.10",)), SETTINGS, {})


def test_an_ip_another_pod_keeps_is_refused_naming_that_pod():
    other = reserved_record(pod_name="web-0")
    with pytest.raises(ReservationConflict, match="kept for pod default/web-0 by PodEniIP default/10.0.0.236"):
        plan_reserve(request(), None, cloud(), SETTINGS, {"10.0.0.236": other})


def test_the_gateway_and_platform_addresses_are_refused():
    with pytest.raises(PlacementError, match="gateway"):
        plan_reserve(request(ip="10.0.0.1"), None, cloud(), SETTINGS, {})
    with pytest.raises(PlacementError, match="not available .* the platform keeps it"):
        plan_reserve(request(ip="10.0.0.2"), None, cloud(), SETTINGS, {})


def test_without_a_chosen_ip_the_first_free_one_is_taken_skipping_ips_kept_or_taken_in_the_same_task():
    plan = plan_reserve(request(ip=""), None, cloud(), SETTINGS, {}, taken={"10.0.0.10"})
    assert plan.reservation.ip == "10.0.0.11"
    plan = plan_reserve(request(ip="", zone="cn-beijing-6b"), None, cloud(), SETTINGS, {})
    assert (plan.reservation.ip, plan.reservation.subnet_id, plan.reservation.zone) == (
        "10.0.1.10",
        SUBNET_B,
        "cn-beijing-6b",
    )


def test_a_subnet_of_another_zone_is_refused():
    with pytest.raises(CrossSubnetRefused, match="subnet %s is not a pod subnet of zone cn-beijing-6a" % SUBNET_B):
        plan_reserve(request(ip="", subnet_id=SUBNET_B), None, cloud(), SETTINGS, {})


def test_the_zone_is_inferred_only_when_unambiguous():
    assert resolve_zone(request(zone="", subnet_id=SUBNET_B), SETTINGS) == "cn-beijing-6b"
    with pytest.raises(
        PlacementError, match="needs a zone: pod subnets are configured in zones cn-beijing-6a, cn-beijing-6b"
    ):
        resolve_zone(request(zone="", ip=""), SETTINGS)
    with pytest.raises(PlacementError, match="zone 'cn-beijing-9z'"):
        resolve_zone(request(zone="cn-beijing-9z"), SETTINGS)


def test_a_rerun_plans_nothing():
    plan = plan_reserve(
        request(), reserved_record(), cloud(reserved=("10.0.0.236",)), SETTINGS, {"10.0.0.236": reserved_record()}
    )
    assert plan.actions == ()


def test_a_run_that_crashed_after_the_record_reserves_the_ip_in_the_cloud():
    plan = plan_reserve(request(), reserved_record(), cloud(), SETTINGS, {"10.0.0.236": reserved_record()})
    assert plan.actions == (ReserveIp(SUBNET_A, "10.0.0.236"),)


def test_a_new_retention_is_written_to_the_existing_record_only():
    plan = plan_reserve(
        request(retention=Retention.parse("7d")), reserved_record(), cloud(reserved=("10.0.0.236",)), SETTINGS, {}
    )
    assert plan.actions == (WriteReservation(reserved_record(retention=Retention.parse("7d"))),)


def test_a_bound_reservation_is_left_as_it_is():
    bound = reserved_record(
        phase=Phase.BOUND, pod_uid="uid-1", eni_id="eni-shared", instance_id="i-47", node_name="10.0.0.47"
    )
    holder = EniSnapshot(
        eni_id="eni-shared",
        name="kcefip_kce-demo_sh_0_10-0-0-47",
        subnet_id=SUBNET_A,
        zone="cn-beijing-6a",
        instance_id="i-47",
        primary_ip="10.0.0.20",
        secondary_ips=("10.0.0.236",),
    )
    plan = plan_reserve(request(), bound, cloud(enis=(NODE_ENI, holder)), SETTINGS, {})
    assert plan.actions == () and "Bound by pod uid uid-1" in plan.reason


def test_a_pod_keeps_one_ip_so_asking_for_another_is_refused():
    with pytest.raises(ReservationConflict, match="already keeps IP 10.0.0.236 .* cannot also keep 10.0.0.11"):
        plan_reserve(request(ip="10.0.0.11"), reserved_record(), cloud(reserved=("10.0.0.236",)), SETTINGS, {})


def test_a_reserved_ip_someone_assigned_meanwhile_is_reported_not_taken_back():
    thief = EniSnapshot(
        eni_id="eni-other", name="someone-else", subnet_id=SUBNET_A, zone="cn-beijing-6a", primary_ip="10.0.0.236"
    )
    with pytest.raises(ReservationConflict, match="assigned to ENI eni-other"):
        plan_reserve(request(), reserved_record(), cloud(enis=(NODE_ENI, thief)), SETTINGS, {})


def test_exclusive_mode_records_first_then_creates_a_detached_eni_with_the_ip_as_primary():
    plan = plan_reserve(request(mode=Mode.EXCLUSIVE, ip="10.0.0.236"), None, cloud(), SETTINGS, {})
    record = reserved_record(mode=Mode.EXCLUSIVE)
    write, create, write_eni = plan.actions
    assert write == WriteReservation(record)
    assert create == CreateEni("new-eni", SUBNET_A, "kcefip_kce-demo_ex_default_sts-0", (SG,), primary_ip="10.0.0.236")
    assert write_eni.reservation.eni_id == Ref("new-eni", "eni_id") and write_eni.reservation.ip == "10.0.0.236"


def test_exclusive_mode_adopts_the_eni_a_crashed_run_created_instead_of_creating_another():
    left = EniSnapshot(
        eni_id="eni-left",
        name="kcefip_kce-demo_ex_default_sts-0",
        subnet_id=SUBNET_A,
        zone="cn-beijing-6a",
        primary_ip="10.0.0.236",
        mac="fa:16:3e:00:00:01",
    )
    record = dataclasses.replace(reserved_record(mode=Mode.EXCLUSIVE), ip="")
    plan = plan_reserve(request(mode=Mode.EXCLUSIVE, ip=""), record, cloud(enis=(NODE_ENI, left)), SETTINGS, {})
    assert plan.actions == (
        WriteReservation(dataclasses.replace(record, eni_id="eni-left", ip="10.0.0.236", mac="fa:16:3e:00:00:01")),
    )


def test_switching_a_pods_mode_is_refused():
    with pytest.raises(ReservationConflict, match="already has a shared reservation"):
        plan_reserve(request(mode=Mode.EXCLUSIVE), reserved_record(), cloud(), SETTINGS, {})
