# -*- coding: utf-8 -*-
"""Reservation records and the IP reclaim policy (retention)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import (
    InvalidReservation,
    InvalidRetention,
    InvalidSettings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings

RELEASED = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)


def shared_record(**overrides):
    values = dict(
        namespace="default",
        pod_name="sts-0",
        mode=Mode.SHARED,
        pod_uid="uid-1",
        ip="10.0.0.236",
        subnet_id="subnet-a",
        zone="cn-beijing-6a",
        eni_id="eni-1",
        mac="fa:16:3e:00:00:01",
        instance_id="i-1",
        node_name="10.0.0.47",
        retention=Retention.parse("24h"),
        released_at=RELEASED,
        phase=Phase.RESERVED,
    )
    values.update(overrides)
    return Reservation(**values)


@pytest.mark.parametrize(
    "text, minutes",
    [("30m", 30), ("24h", 24 * 60), ("7d", 7 * 24 * 60), ("1h30m", 90), ("1d12h", 36 * 60), (" 2H ", 120)],
)
def test_a_retention_is_days_hours_and_minutes(text, minutes):
    assert Retention.parse(text).duration == timedelta(minutes=minutes)


@pytest.mark.parametrize("value", [None, "", "never", "Never"])
def test_an_empty_retention_means_never_reclaim_as_on_the_product_page(value):
    retention = Retention.parse(value)
    assert retention.is_never and str(retention) == "never"
    assert retention.reclaim_at(RELEASED) is None


@pytest.mark.parametrize(
    "value, hint",
    [
        ("5s", "not understood"),
        ("1.5h", "not understood"),
        ("forever", "not understood"),
        ("30m1h", "reorders"),
        ("1h1h", "repeats"),
        ("0m", "zero"),
        (24, "not text"),
    ],
)
def test_a_retention_that_does_not_parse_names_the_value_and_the_accepted_forms(value, hint):
    with pytest.raises(InvalidRetention) as err:
        Retention.parse(value)
    assert repr(value) in str(err.value) and hint in str(err.value)


@pytest.mark.parametrize("text, shown", [("24h", "1d"), ("90m", "1h30m"), ("36h", "36h"), ("45m", "45m")])
def test_a_retention_is_shown_in_its_shortest_form(text, shown):
    assert str(Retention.parse(text)) == shown
    assert Retention.parse(str(Retention.parse(text))) == Retention.parse(text)


def test_reclaim_is_due_retention_after_release():
    assert Retention.parse("24h").reclaim_at(RELEASED) == RELEASED + timedelta(days=1)
    assert Retention.parse("24h").reclaim_at(None) is None


def test_a_reservation_round_trips_through_its_record_content():
    record = shared_record()
    data = record.to_dict()
    assert data == {
        "podNamespace": "default",
        "podName": "sts-0",
        "podUID": "uid-1",
        "mode": "shared",
        "fixed": True,
        "ip": "10.0.0.236",
        "subnetId": "subnet-a",
        "zone": "cn-beijing-6a",
        "eniId": "eni-1",
        "mac": "fa:16:3e:00:00:01",
        "instanceId": "i-1",
        "nodeName": "10.0.0.47",
        "retention": "1d",
        "releasedAt": "2026-11-26T12:00:00Z",
        "phase": "Reserved",
        "statefulSet": "",
        "eipId": "",
    }
    assert Reservation.from_dict(data) == record


def test_a_bound_reservation_clears_released_at_in_its_record_content():
    data = shared_record(released_at=None, phase=Phase.BOUND).to_dict()
    assert data["releasedAt"] is None and Reservation.from_dict(data).released_at is None


def test_release_times_are_kept_in_utc_whole_seconds_like_rfc3339():
    eastern = timezone(timedelta(hours=8))
    record = shared_record(released_at=datetime(2026, 11, 26, 20, 0, 0, 123456, tzinfo=eastern))
    assert record.released_at == RELEASED


def test_a_naive_release_time_is_refused():
    with pytest.raises(InvalidReservation, match="timezone-aware"):
        shared_record(released_at=datetime(2026, 1, 1))


def test_record_names_follow_the_product_page():
    assert shared_record().record_name() == "10.0.0.236"
    assert shared_record(mode=Mode.EXCLUSIVE).record_name() == "sts-0"
    assert shared_record().label() == "PodEniIP default/10.0.0.236"
    assert shared_record(mode=Mode.EXCLUSIVE).kind == "PodEni"


def test_a_podeniip_cannot_be_named_before_its_ip_is_chosen():
    record = shared_record(ip="")
    with pytest.raises(InvalidReservation, match="named after its IP"):
        record.record_name()
    assert "IP not chosen" in record.label()


def test_a_reservation_that_still_refers_to_an_eni_not_created_yet_cannot_be_written():
    record = shared_record(eni_id=Ref())
    assert record.has_refs()
    with pytest.raises(InvalidReservation, match="resolve the plan's Refs"):
        record.to_dict()


@pytest.mark.parametrize(
    "data, hint",
    [
        ({"podName": "sts-0", "mode": "shared"}, "podNamespace"),
        ({"podNamespace": "default", "podName": "sts-0", "mode": "both"}, "'both' is not one of: shared, exclusive"),
        ({"podNamespace": "default", "podName": "sts-0", "mode": "shared", "phase": "Done"}, "'Done' is not one of"),
        (
            {"podNamespace": "default", "podName": "sts-0", "mode": "shared", "releasedAt": "yesterday"},
            "'yesterday' is not an RFC3339",
        ),
        (
            {"podNamespace": "default", "podName": "sts-0", "mode": "shared", "releasedAt": "2026-01-01T00:00:00"},
            "no timezone",
        ),
        (
            {"podNamespace": "default", "podName": "sts-0", "mode": "shared", "retention": "soon"},
            "'soon' is not understood",
        ),
        (
            {"podNamespace": "default", "podName": "sts-0", "mode": "shared", "fixed": "yes"},
            "'yes' must be true or false",
        ),
        ({"podNamespace": "default", "podName": "sts-0", "mode": "shared", "ip": 10}, "ip 10"),
        (["not", "a", "mapping"], "not a mapping"),
    ],
)
def test_record_content_that_cannot_be_a_reservation_is_refused_with_the_bad_value(data, hint):
    with pytest.raises(InvalidReservation) as err:
        Reservation.from_dict(data)
    assert hint in str(err.value)


def test_unknown_keys_in_record_content_are_ignored_so_newer_records_still_read():
    data = dict(shared_record().to_dict(), futureField="x")
    assert Reservation.from_dict(data) == shared_record()


def test_reservations_are_immutable_values():
    record = shared_record()
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.ip = "10.0.0.9"
    assert dataclasses.replace(record, ip="10.0.0.9") != record


def test_settings_check_the_cluster_name_that_marks_enis():
    with pytest.raises(InvalidSettings, match="'My_Cluster'"):
        Settings(cluster_name="My_Cluster")
    with pytest.raises(InvalidSettings, match="at most 40"):
        Settings(cluster_name="c" * 41)
    assert Settings(cluster_name="2f1e7c1a-55d7-4f0e-9a7e-b6c2d0c5b7a1").cluster_name.startswith("2f1e")


def test_settings_refuse_a_single_string_where_a_list_belongs():
    with pytest.raises(InvalidSettings, match="security_group_ids 'sg-1'"):
        Settings(cluster_name="c1", security_group_ids="sg-1")
    with pytest.raises(InvalidSettings, match=r"pod_subnets\['a'\]"):
        Settings(cluster_name="c1", pod_subnets={"a": "subnet-a"})


def test_settings_default_to_never_reclaim_and_the_safe_cloud_assumptions():
    settings = Settings(cluster_name="c1", default_retention="7d", pod_subnets={"a": ["s1", "s2"]})
    assert settings.default_retention == Retention(timedelta(days=7))
    assert settings.subnets_in("a") == ("s1", "s2") and settings.subnets_in("b") == ()
    defaults = Settings(cluster_name="c1")
    assert defaults.default_retention.is_never
    assert (
        defaults.cloud.reserve_assigned_ip,
        defaults.cloud.assign_specific_ip,
        defaults.cloud.available_excludes_reserved,
    ) == (False, True, True)
