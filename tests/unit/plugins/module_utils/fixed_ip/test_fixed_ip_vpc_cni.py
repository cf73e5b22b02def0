# -*- coding: utf-8 -*-
"""Switching a cluster's VPC-CNI is planned from snapshots alone: one ModifyCluster, or none when the cluster already has
exactly what is asked; every value the platform would refuse is refused first, named in the message."""

from __future__ import annotations

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import ModifyClusterVpcCni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import (
    ClusterNode,
    ClusterSnapshot,
    VpcCniSettings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import SubnetSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.vpc_cni import (
    parse_mode,
    plan_vpc_cni,
    planned_settings,
    wanted_settings,
)

VPC, OTHER_VPC = "vpc-1", "vpc-2"
SUBNETS = {
    s.subnet_id: s
    for s in (
        SubnetSnapshot("s-6a", "10.0.0.0/24", "zone-a", vpc_id=VPC, subnet_type="Normal"),
        SubnetSnapshot("s-6b", "10.0.1.0/24", "zone-b", vpc_id=VPC, subnet_type="Normal"),
        SubnetSnapshot("s-small", "10.0.2.0/28", "zone-a", vpc_id=VPC, subnet_type="Normal"),
        SubnetSnapshot("s-reserve", "10.0.3.0/28", "zone-a", vpc_id=VPC, subnet_type="Reserve"),
        SubnetSnapshot("s-nodeless", "10.0.4.0/24", "zone-c", vpc_id=VPC, subnet_type="Normal"),
        SubnetSnapshot("s-elsewhere", "10.9.0.0/24", "zone-a", vpc_id=OTHER_VPC, subnet_type="Normal"),
    )
}
GROUPS = {"sg-1": VPC, "sg-2": VPC, "sg-other": OTHER_VPC}
NODES = (
    ClusterNode("i-47", zone="zone-a", subnet_id="s-6a"),
    ClusterNode("i-48", zone="zone-a", subnet_id="s-6a"),
    ClusterNode("i-20", zone="zone-b", subnet_id="s-6b"),
)
OFF = VpcCniSettings(enabled=False)
SHARED = VpcCniSettings(True, Mode.SHARED, ("s-6a", "s-6b"), "sg-1", daemon_mode="eniMultiIP")


def cluster(vpc_cni=OFF, nodes=NODES):
    return ClusterSnapshot("c-1", name="sandbox", vpc_id=VPC, vpc_cni=vpc_cni, nodes=nodes)


def plan(current, enabled=True, mode="shared", subnets=("s-6a", "s-6b"), group="sg-1", nodes=NODES):
    wanted = wanted_settings(enabled, mode, subnets, group)
    return plan_vpc_cni(
        cluster(current, nodes), wanted, [SUBNETS[s] for s in subnets if s in SUBNETS], GROUPS, wait=True
    )


def test_enabling_shared_mode_on_a_cluster_without_vpc_cni_is_one_modify_cluster():
    result = plan(OFF)
    assert result.actions == (
        ModifyClusterVpcCni("c-1", VpcCniSettings(True, Mode.SHARED, ("s-6a", "s-6b"), "sg-1"), wait=True),
    )
    assert result.describe() == (
        "set VPC-CNI of cluster c-1: enabled in shared mode (subnets s-6a, s-6b; security group sg-1)",
    )


def test_a_cluster_that_already_has_exactly_that_needs_nothing_whatever_the_order_of_its_subnets():
    result = plan(SHARED, subnets=("s-6b", "s-6a", "s-6b"))
    assert result.actions == () and not result.changed
    assert "already enabled in shared mode" in result.reason


@pytest.mark.parametrize(
    "change",
    [
        {"mode": "exclusive"},
        {"subnets": ("s-6a",)},
        {"subnets": ("s-6a", "s-6b", "s-small")},
        {"group": "sg-2"},
    ],
)
def test_any_difference_in_mode_subnets_or_group_is_one_change_to_exactly_the_wanted_settings(change):
    result = plan(SHARED, **change)
    (action,) = result.actions
    assert action.settings.enabled and set(action.settings.subnet_ids) == set(change.get("subnets", ("s-6a", "s-6b")))
    assert action.settings.mode == (Mode.EXCLUSIVE if change.get("mode") == "exclusive" else Mode.SHARED)
    assert action.settings.security_group_id == change.get("group", "sg-1")


def test_an_unknown_daemon_mode_of_the_platform_is_changed_to_the_wanted_one():
    weird = VpcCniSettings(True, None, ("s-6a", "s-6b"), "sg-1", daemon_mode="eniTrunk")
    assert plan(weird).changed


def test_disabling_sends_only_enable_false_and_a_disabled_cluster_needs_nothing():
    (action,) = plan(SHARED, enabled=False, mode=None, subnets=(), group=None).actions
    assert action.settings == VpcCniSettings(enabled=False)
    assert action.describe() == "set VPC-CNI of cluster c-1: disabled"
    assert not plan(OFF, enabled=False).changed
    # Off is off, whatever the platform keeps of the last settings.
    kept = VpcCniSettings(False, Mode.EXCLUSIVE, ("s-6a",), "sg-2", daemon_mode="eniOnly")
    assert not plan(kept, enabled=False, mode="exclusive").changed


def test_the_planned_settings_for_the_diff_are_the_wanted_ones_and_disabling_keeps_the_rest():
    enable = plan(OFF)
    assert planned_settings(cluster(OFF), enable) == enable.actions[0].settings
    disable = plan(SHARED, enabled=False)
    assert planned_settings(cluster(SHARED), disable) == VpcCniSettings(
        False, Mode.SHARED, ("s-6a", "s-6b"), "sg-1", "eniMultiIP"
    )
    assert planned_settings(cluster(SHARED), plan(SHARED)) == SHARED


@pytest.mark.parametrize(
    "kwargs, named, fragment",
    [
        ({"mode": "trunk"}, "'trunk'", "not a VPC-CNI mode"),
        ({"mode": None}, "None", "not a VPC-CNI mode"),
        ({"subnets": ()}, "subnet_ids", "at least one pod subnet"),
        ({"group": ""}, "security_group_id", "security group of the pods' ENIs"),
        ({"subnets": ("s-6a", "s-missing")}, "s-missing", "does not exist"),
        ({"subnets": ("s-6a", "s-elsewhere")}, "subnet s-elsewhere is in VPC vpc-2", "not in VPC vpc-1 of cluster c-1"),
        ({"subnets": ("s-reserve",)}, "subnet s-reserve is of type Reserve", "type Normal"),
        ({"subnets": ("s-6a", "s-nodeless")}, "subnet s-nodeless is in zone zone-c", "has no node"),
        ({"group": "sg-missing"}, "sg-missing", "does not exist"),
        ({"group": "sg-other"}, "security group sg-other is in VPC vpc-2", "not in VPC vpc-1"),
    ],
)
def test_bad_values_are_refused_before_anything_is_planned_naming_the_value(kwargs, named, fragment):
    with pytest.raises(RequestRefused) as err:
        plan(OFF, **kwargs)
    assert named in str(err.value) and fragment in str(err.value)


def test_a_cluster_without_nodes_accepts_no_pod_subnet():
    with pytest.raises(RequestRefused, match="has no node .its nodes are in no zone"):
        plan(OFF, nodes=())


def test_a_cluster_the_kce2_api_does_not_list_cannot_be_changed():
    with pytest.raises(RequestRefused, match="kce2 DescribeClusters. does not list it"):
        plan_vpc_cni(cluster(None), VpcCniSettings(enabled=False))


def test_modes_are_the_product_pages_words():
    assert parse_mode("shared") is Mode.SHARED and parse_mode("exclusive") is Mode.EXCLUSIVE
    with pytest.raises(RequestRefused, match="'eniOnly' is not a VPC-CNI mode"):
        parse_mode("eniOnly")


def test_the_views_show_the_settings_and_the_nodes_in_snake_case():
    view = cluster(SHARED).view()
    assert view["vpc_cni"] == {
        "enabled": True,
        "mode": "shared",
        "daemon_mode": "eniMultiIP",
        "subnet_ids": ["s-6a", "s-6b"],
        "security_group_id": "sg-1",
    }
    assert [n["instance_id"] for n in view["nodes"]] == ["i-47", "i-48", "i-20"]
    assert cluster(None).view()["vpc_cni"] is None
