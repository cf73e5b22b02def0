# -*- coding: utf-8 -*-
"""A shared-mode pod without a fixed IP has a VpcIP (the product page's shared mode, step 1): written before the IP is
assigned, deleted with the pod while its IP is unassigned and never reserved, and never kept by reclaim or audit."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.audit import inspect
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.drift import RECORD_POD_GONE, find_drift
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidReservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import KEEP, RECLAIM, plan_reclaim
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import StoredReservation
from ansible_collections.ksyun.kce.tests.unit.plugins.module_utils.fixed_ip import fixed_ip_sim as sim

NODE_47 = sim.node()
NODE_48 = sim.node("10.0.0.48", "i-node48")
CLOUD_WRITES = (act.CreateEni, act.AttachEni, act.AssignIp, act.UnassignIp, act.ReserveIp, act.UnreserveIp)


def world(**settings):
    return sim.World(sim.settings(default_retention="24h", **settings), nodes=[NODE_47, NODE_48]).add_primary_enis()


def web(uid="uid-1", node=NODE_47, fixed=False, **overrides):
    """A Deployment's pod in shared ENI mode that does not ask for a fixed IP."""
    values = dict(name="web-7d9f-x2x", owner_kind="ReplicaSet", owner_name="web-7d9f")
    values.update(overrides)
    return sim.sts_pod(uid=uid, node_name=node.name, fixed=fixed, **values)


def binder(pod, node=NODE_47, live=frozenset(), vpc_ips=True):
    """What bind_pod plans: with the IPs of every shared record, as the flow reads them."""

    def plan_of(w):
        record = w.record_of(pod, Mode.SHARED)
        return plan_bind(
            w.pod_view(pod), node, record, w.cloud(), w.settings, sim.NOW, live, recorded_ips(w), vpc_ips=vpc_ips
        )

    return plan_of


def releaser(pod, live=frozenset()):
    def plan_of(w):
        gone = dataclasses.replace(w.pod_view(pod), deleting=True)
        return plan_release(gone, w.record_of(pod, Mode.SHARED), w.cloud(), w.settings, sim.NOW, live)

    return plan_of


def bound(pod, vpc_ips=True, **settings):
    w = world(**settings)
    w.run(binder(pod, vpc_ips=vpc_ips)(w).actions)
    return w


def kinds(plan):
    return [type(action).__name__ for action in plan.actions]


def recorded_ips(w):
    return frozenset(record.ip for record in w.records.values() if record.mode is Mode.SHARED)


def assert_converges(world_, plan_of, pod, kind):
    """Like sim.assert_resumable, for a bind that frees a record and binds afresh: a run cut after any step and planned
    again may pick another free IP (the freed one is free again), so each run must end in a valid state, not the same:
    the pod Bound in one record of its kind, every assigned secondary IP recorded, nothing reserved, a rerun a no-op."""
    plan = plan_of(world_)
    for k in range(len(plan.actions) + 1):
        w = world_.copy()
        w.run(plan.actions[:k])
        w.run(plan_of(w).actions)
        assert plan_of(w).actions == (), "crash after step %d: the resumed run left work behind" % k
        record = w.record_of(pod, Mode.SHARED)
        assert (record.kind, record.phase, record.pod_uid) == (kind, Phase.BOUND, pod.uid), "crash after step %d" % k
        assert len(w.records) == 1 and w.pod_network[(pod.namespace, pod.name)][:2] == (pod.uid, record.ip)
        assigned = {ip for eni in w.enis.values() for ip in eni.secondary_ips}
        assert assigned == {record.ip} and w.reserved[sim.SUBNET_A] == set(), "crash after step %d leaked" % k
    return plan


def assert_free(w, ip):
    assert all(ip not in eni.secondary_ips for eni in w.enis.values()), "the IP is unassigned"
    assert ip not in w.reserved[sim.SUBNET_A], "a non-fixed IP is never reserved"
    assert ip in w.cloud().subnet(sim.SUBNET_A).available_ips


# --- bind ---------------------------------------------------------------------------------------------------------


def test_a_non_fixed_shared_pod_gets_a_vpcip_recorded_before_any_cloud_call():
    plan = binder(web())(world())
    assert kinds(plan) == [
        "WriteReservation",
        "CreateEni",
        "AttachEni",
        "AssignIp",
        "WriteReservation",
        "SetPodNetwork",
    ]
    intent, bound_record = plan.actions[0].reservation, plan.reservation
    assert intent.label() == "VpcIP default/10.0.0.2" and intent.phase is Phase.BINDING
    assert (bound_record.kind, bound_record.phase, bound_record.fixed, bound_record.pod_uid) == (
        "VpcIP",
        Phase.BOUND,
        False,
        "uid-1",
    )
    assert bound_record.retention == Retention.never() and bound_record.statefulset == "" and not bound_record.eip_id
    assert not any(isinstance(action, (act.ReserveIp, act.UnreserveIp)) for action in plan.actions)


def test_a_non_fixed_statefulset_pod_gets_a_vpcip_too_but_an_exclusive_one_keeps_its_podeni():
    shared = binder(sim.sts_pod(fixed=False))(world()).reservation
    assert (shared.kind, shared.statefulset) == ("VpcIP", ""), "a VpcIP is never kept for its StatefulSet"
    w = world()
    exclusive = plan_bind(
        sim.sts_pod(mode=Mode.EXCLUSIVE, fixed=False), NODE_47, None, w.cloud(), w.settings, sim.NOW, frozenset()
    ).reservation
    assert (exclusive.kind, exclusive.fixed, exclusive.statefulset) == ("PodEni", False, "sts")


def test_a_fixed_shared_pod_still_gets_a_podeniip():
    record = binder(sim.sts_pod())(world()).reservation
    assert (record.kind, record.fixed) == ("PodEniIP", True)


def test_where_the_cluster_lacks_the_vpcip_crd_the_pod_gets_a_podeniip_with_fixed_false_as_before():
    record = binder(web(), vpc_ips=False)(world()).reservation
    assert (record.kind, record.fixed, record.retention) == ("PodEniIP", False, Retention.parse("24h"))


@pytest.mark.parametrize("vpc_ips", [True, False], ids=["vpcip", "no-vpcip-crd"])
def test_a_vpcip_bind_resumes_after_a_crash_at_any_step(vpc_ips):
    done = sim.assert_resumable(world(), binder(web(), vpc_ips=vpc_ips))[1]
    record = done.record_of(web(), Mode.SHARED)
    assert (record.kind, record.phase) == ("VpcIP" if vpc_ips else "PodEniIP", Phase.BOUND)
    assert done.pod_network[("default", "web-7d9f-x2x")][:2] == ("uid-1", record.ip)


def test_a_running_pod_bound_with_a_vpcip_that_asks_for_a_fixed_ip_later_keeps_its_ip_not_fixed():
    w = bound(web())
    before = w.state()
    plan = binder(web(fixed=True, owner_kind="StatefulSet", owner_name="web"))(w)
    assert plan.actions == () and plan.reservation.kind == "VpcIP"
    assert plan.warnings == (
        "pod default/web-7d9f-x2x got the non-fixed IP 10.0.0.2 (VpcIP default/10.0.0.2) before it asked for a fixed IP; "
        "it keeps it while it runs and it is freed when the pod is deleted: re-create the pod to get a fixed IP",
    )
    assert w.state() == before


def test_a_vpcip_left_by_a_gone_pod_is_freed_when_a_new_pod_of_its_name_asks_for_a_fixed_ip_resumably():
    start = bound(sim.sts_pod(fixed=False))
    old = start.record_of(sim.sts_pod(), Mode.SHARED)
    new_pod = sim.sts_pod(uid="uid-2")
    plan = assert_converges(start, binder(new_pod, live=frozenset({"uid-2"})), new_pod, "PodEniIP")
    assert kinds(plan)[:3] == ["UnassignIp", "DeleteReservation", "WriteReservation"]
    assert plan.actions[1] == act.DeleteReservation("default", old.ip, Mode.SHARED, vpc_ip=True)
    done = start.copy()
    done.run(plan.actions)
    after = done.record_of(new_pod, Mode.SHARED)
    assert (after.kind, after.fixed, after.pod_uid) == ("PodEniIP", True, "uid-2") and after.ip != old.ip
    assert_free(done, old.ip)


def test_a_podeniip_with_fixed_false_of_a_gone_pod_is_freed_and_the_new_pod_gets_a_vpcip_resumably():
    start = bound(sim.sts_pod(fixed=False), vpc_ips=False)
    old = start.record_of(sim.sts_pod(), Mode.SHARED)
    assert (old.kind, old.fixed) == ("PodEniIP", False)
    new_pod = sim.sts_pod(uid="uid-2", fixed=False)
    plan = assert_converges(start, binder(new_pod, live=frozenset({"uid-2"})), new_pod, "VpcIP")
    assert plan.actions[1] == act.DeleteReservation("default", old.ip, Mode.SHARED)
    done = start.copy()
    done.run(plan.actions)
    after = done.record_of(new_pod, Mode.SHARED)
    assert (after.kind, after.pod_uid) == ("VpcIP", "uid-2") and set(done.records) == {("VpcIP", "default", after.ip)}
    assert_free(done, old.ip)


def test_a_vpcip_of_a_gone_pod_on_another_node_is_moved_to_the_new_pod_without_ever_reserving_it():
    start = bound(sim.sts_pod(fixed=False))
    old = start.record_of(sim.sts_pod(), Mode.SHARED)
    new_pod = sim.sts_pod(uid="uid-2", node_name=NODE_48.name, fixed=False)
    plan, done = sim.assert_resumable(start, binder(new_pod, NODE_48, live=frozenset({"uid-2"})))
    assert not any(isinstance(action, (act.ReserveIp, act.UnreserveIp)) for action in plan.actions)
    assert kinds(plan)[0] == "UnassignIp", "unassigned while the record still names the old ENI"
    after = done.record_of(new_pod, Mode.SHARED)
    assert (after.kind, after.ip, after.instance_id, after.phase) == ("VpcIP", old.ip, NODE_48.instance_id, Phase.BOUND)


# --- release ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("vpc_ips", [True, False], ids=["vpcip", "podeniip-fixed-false"])
def test_the_release_of_a_non_fixed_shared_pod_resumes_after_a_crash_at_any_step(vpc_ips):
    start = bound(web(), vpc_ips=vpc_ips)
    ip = start.record_of(web(), Mode.SHARED).ip
    plan, done = sim.assert_resumable(start, releaser(web()))
    assert kinds(plan) == ["UnassignIp", "DeleteReservation"]
    assert plan.actions[-1].kind == ("VpcIP" if vpc_ips else "PodEniIP")
    assert done.records == {}
    assert_free(done, ip)


def test_a_podeniip_with_fixed_false_written_by_an_earlier_version_is_released_once_the_cluster_serves_vpcip():
    """The upgrade path: the record was written before VpcIP existed; the new version releases it all the same."""
    start = bound(web(), vpc_ips=False)
    ip = start.record_of(web(), Mode.SHARED).ip
    done = sim.assert_resumable(start, releaser(web()))[1]
    assert done.records == {}
    assert_free(done, ip)
    rebound = binder(web(uid="uid-2"))(done)
    assert rebound.reservation.kind == "VpcIP", "the next pod of the cluster gets a VpcIP"


def test_a_vpcip_held_by_a_live_pod_is_not_released():
    w = bound(web())
    gone = dataclasses.replace(w.pod_view(web()), deleting=False)
    plan = plan_release(gone, w.record_of(web(), Mode.SHARED), w.cloud(), w.settings, sim.NOW, frozenset({"uid-1"}))
    assert plan.actions == () and "is live and not being deleted" in plan.reason


# --- the record itself --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, named",
    [
        ({"fixed": True}, "fixed true"),
        ({"mode": Mode.EXCLUSIVE}, "mode exclusive"),
        ({"retention": "24h"}, "retention 1d"),
        ({"phase": Phase.RESERVED}, "phase Reserved"),
        ({"released_at": sim.NOW}, "a release time"),
        ({"eip_id": "eip-1"}, "an EIP"),
        ({"statefulset": "web"}, "a StatefulSet"),
    ],
)
def test_a_vpcip_that_would_be_kept_is_refused_naming_what_is_wrong(changes, named):
    fields = dict(namespace="default", pod_name="web", mode=Mode.SHARED, fixed=False, ip="10.0.0.9", vpc_ip=True)
    with pytest.raises(InvalidReservation, match="the VpcIP of pod default/web cannot have %s" % named):
        Reservation(**dict(fields, **changes))


# --- reclaim, audit, info -----------------------------------------------------------------------------------------


def test_reclaim_frees_a_vpcip_whose_pod_is_gone_at_once_and_keeps_one_whose_pod_lives():
    w = bound(web())
    record = w.record_of(web(), Mode.SHARED)
    kept = plan_reclaim(list(w.records.values()), w.cloud(), [web()], sim.NOW, sim.CLUSTER)
    [item] = [each for each in kept.items if each.kind == "reservation"]
    assert item.decision == KEEP and "is freed when the pod is deleted" in item.reason
    same_name = web(uid="uid-2")
    plan = plan_reclaim(list(w.records.values()), w.cloud(), [same_name], sim.NOW, sim.CLUSTER)
    [item] = [each for each in plan.items if each.kind == "reservation"]
    assert item.decision == RECLAIM, "a new pod of the same name does not hold the old pod's IP (by UID only)"
    assert item.actions == (
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)),
        act.UnassignIp(record.eni_id, record.ip),
        act.DeleteReservation("default", record.ip, Mode.SHARED, vpc_ip=True),
    )
    w.run(item.actions)
    assert w.records == {}
    assert_free(w, record.ip)


def test_reclaim_keeps_a_vpcip_whose_ip_a_live_pod_shows():
    w = bound(web())
    record = w.record_of(web(), Mode.SHARED)
    other = dataclasses.replace(web(uid="uid-9", name="other"), pod_ip=record.ip)
    plan = plan_reclaim(list(w.records.values()), w.cloud(), [other], sim.NOW, sim.CLUSTER)
    [item] = [each for each in plan.items if each.kind == "reservation"]
    assert item.decision == KEEP and "in use by live pod default/other" in item.reason


def test_the_audit_reports_a_vpcip_whose_pod_is_gone_with_the_repair_the_release_would_do():
    w = bound(web())
    record = w.record_of(web(), Mode.SHARED)
    found = find_drift(list(w.records.values()), w.cloud(), [], sim.NOW, sim.CLUSTER, {NODE_47.name: sim.ZONE_A})
    [finding] = found
    assert (finding.kind, finding.subject) == (RECORD_POD_GONE, "VpcIP default/10.0.0.2")
    assert "stays assigned for no pod" in finding.detail and "a non-fixed IP is never kept" in finding.fix
    assert finding.actions == (
        act.WriteReservation(dataclasses.replace(record, phase=Phase.RECLAIMING)),
        act.UnassignIp(record.eni_id, record.ip),
        act.DeleteReservation("default", record.ip, Mode.SHARED, vpc_ip=True),
    )
    live = find_drift(list(w.records.values()), w.cloud(), [web()], sim.NOW, sim.CLUSTER, {NODE_47.name: sim.ZONE_A})
    assert live == [], "a VpcIP of a running pod is in sync"


def test_fixed_ip_info_lists_a_vpcip_with_its_cloud_state_and_says_when_its_pod_is_gone():
    w = bound(web())
    record = w.record_of(web(), Mode.SHARED)
    stored = StoredReservation(record, record.ip, "default", "1", "u-1")
    [entry] = inspect([stored], w.cloud(), {}, sim.CLUSTER)
    assert (entry["kind"], entry["name"], entry["reservation"]["fixed"]) == ("VpcIP", "10.0.0.2", False)
    assert entry["cloud"]["eni_holds_ip"] and entry["cloud"]["ip_reserved"] is False
    assert entry["drift"] == ["record says Bound but pod default/web-7d9f-x2x is gone (its release did not run)"]
    w.reserved[sim.SUBNET_A].add(record.ip)
    pod = {("default", "web-7d9f-x2x"): dataclasses.replace(web(), pod_ip=record.ip)}
    [reserved] = inspect([stored], w.cloud(), pod, sim.CLUSTER)
    assert reserved["drift"] == [
        "IP 10.0.0.2 is reserved (specific) in subnet subnet-a, but the IP of a VpcIP is never kept"
    ]
