"""The IP reclaim policy carried out, and the product FAQ's manual reclaim, by ansible-playbook against the sandbox.

Pods are bound and released by the sandbox's node agent (its VPC-CNI); a record's release time is moved back to
make its retention run out. Every check mode run is compared with the state before: it changes nothing.
"""

import uuid
from datetime import timedelta

import pytest
from fixed_ip_pods import Sandbox, bare_pod, statefulset
from fixed_ip_sandbox import SUBNET_6A
from kubernetes import client

pytestmark = pytest.mark.controlplane

MERGE = "application/merge-patch+json"
EIP = "5f2c7a10-0007-4a6e-9c1b-000000000001"
KEPT_BY_DEFAULT = (
    "reclaim keeps elastic IPs unless release_eips is set (its public IP may be in someone's allow-list); "
    "release it with ksyun.kce.eip state=absent when it is not needed"
)


def reclaim(name, args=None, **extra):
    return dict({"name": name, "ksyun.kce.fixed_ip_reclaim": dict(args or {})}, **extra)


@pytest.fixture
def sandbox(namespace, dyn, emulator, ksyun, wait_for):
    return Sandbox(dyn, emulator, ksyun, wait_for, namespace)


def decisions(step):
    return {
        item["name"]: (item["decision"], item["reason"])
        for item in step.result["items"]
        if item["kind"] == "reservation"
    }


def test_reservations_past_their_retention_are_freed_and_the_others_kept_with_the_reason(playbook, sandbox):
    modes = {"old-sh": "shared", "old-ex": "exclusive", "new-sh": "shared", "never-sh": "shared", "back-sh": "shared"}
    for name, mode in modes.items():
        sandbox.pods.create(namespace=sandbox.ns, body=bare_pod(name, mode))
    ips = {name: sandbox.running(name) for name in modes}
    for name in modes:
        sandbox.delete_pod(name)
        sandbox.reserved(name)
    eni = sandbox.record_of("old-ex")["spec"]["eniId"]
    sandbox.expire("old-sh")
    sandbox.expire("old-ex")
    old_sh = sandbox.record_of("old-sh")
    sandbox.kinds["shared"].patch(
        namespace=sandbox.ns, name=old_sh["metadata"]["name"], content_type=MERGE, body={"spec": {"eipId": EIP}}
    )
    sandbox.expire("new-sh", released=timedelta(0))
    sandbox.expire("never-sh", retention=None)
    sandbox.expire("back-sh")
    # back-sh comes back (never scheduled here): a pod of that name binds to the reservation, so it is kept.
    sandbox.pods.create(namespace=sandbox.ns, body=bare_pod("back-sh", "shared", node=None))
    label = {name: "PodEniIP %s/%s" % (sandbox.ns, ips[name]) for name in modes}
    label["old-ex"] = "PodEni %s/old-ex" % sandbox.ns

    before = sandbox.state()
    preview = playbook([reclaim("preview", check_mode=True)])["preview"]
    assert not preview.failed and preview.writes == {} and sandbox.state() == before, "check mode changes nothing"
    planned = decisions(preview)
    kept_eip = {"eip_id": EIP, "reservation": label["old-sh"], "ip": ips["old-sh"], "reason": KEPT_BY_DEFAULT}
    assert preview.result["eips_kept"] == [kept_eip] and preview.result["eips_released"] == []
    assert planned[label["old-sh"]][0] == "reclaim" and "retention 1d passed at" in planned[label["old-sh"]][1]
    assert planned[label["old-ex"]][0] == "reclaim"
    assert planned[label["new-sh"]][0] == "keep" and planned[label["new-sh"]][1].startswith("retention 1d runs until")
    assert planned[label["never-sh"]][1].startswith("retention is never")
    assert "is live and binds to this reservation" in planned[label["back-sh"]][1]
    assert [a for i in preview.result["items"] if i["name"] == label["old-ex"] for a in i["actions"]][
        -1
    ] == "delete PodEni %s/old-ex" % sandbox.ns

    steps = playbook([reclaim("reclaim"), reclaim("reclaim again")])
    done = steps["reclaim"]
    assert not done.failed and done.changed
    # Reclaim is cluster-wide: what other tests' deleted namespaces left is freed too, so count this namespace's items.
    mine = {item["name"]: item["done"] for item in done.result["items"] if item["name"] in label.values()}
    assert sorted(name for name, actions in mine.items() if actions) == sorted([label["old-sh"], label["old-ex"]])
    assert any(a.startswith("delete ENI %s" % eni) for a in mine[label["old-ex"]])
    assert any(a.startswith("unreserve IP %s" % ips["old-sh"]) for a in mine[label["old-sh"]])
    # Reclaim keeps a reservation's EIP (a public IP in someone's allow-list) and says which.
    assert [e for e in done.result["eips_kept"] if e["reservation"] in label.values()] == [kept_eip]
    assert "ReleaseAddress" not in done.writes and "DisassociateAddress" not in done.writes
    assert done.result["api_calls"] == {
        **done.reads,
        **done.writes,
    }, "the result lists the API calls it made, by action"
    left = sandbox.records()
    assert ("shared", ips["old-sh"]) not in left and ("exclusive", "old-ex") not in left
    assert not sandbox.is_specific(SUBNET_6A, ips["old-sh"]) and not sandbox.eni_exists(eni)
    for kept in ("new-sh", "never-sh", "back-sh"):
        assert ("shared", ips[kept]) in left and sandbox.is_specific(SUBNET_6A, ips[kept]), kept
    assert steps["reclaim again"].is_noop, steps["reclaim again"]


def test_a_statefulsets_annotation_scale_down_and_deletion_free_its_reservations_when_asked(playbook, sandbox, kube):
    apps = client.AppsV1Api(kube)
    apps.create_namespaced_stateful_set(
        sandbox.ns, statefulset("web", "shared", 3, {"k8s.ksyun.com/ip-retention": "1m"})
    )
    ips = {name: sandbox.running(name) for name in ("web-0", "web-1", "web-2")}
    apps.patch_namespaced_stateful_set_scale("web", sandbox.ns, {"spec": {"replicas": 1}})
    for name in ("web-1", "web-2"):
        sandbox.wait("%s gone" % name, lambda n=name: sandbox.pod(n) is None, timeout=60)
        assert sandbox.reserved(name)["spec"]["statefulSet"] == "web"
    sandbox.expire("web-2", retention=None, released=timedelta(minutes=2))
    first = playbook([reclaim("by the annotation")])["by the annotation"]
    planned = decisions(first)
    assert ("PodEniIP %s/%s" % (sandbox.ns, ips["web-2"])) not in {k for k, v in planned.items() if v[0] == "keep"}
    freed = [item for item in first.result["items"] if item["decision"] == "reclaim" and item["kind"] == "reservation"]
    assert [item["name"] for item in freed] == ["PodEniIP %s/%s" % (sandbox.ns, ips["web-2"])]
    assert "retention 1m of StatefulSet web (annotation k8s.ksyun.com/ip-retention)" in freed[0]["reason"]
    web1 = planned["PodEniIP %s/%s" % (sandbox.ns, ips["web-1"])]
    assert web1[0] == "keep" and web1[1].startswith("retention 1m of StatefulSet web") and "runs until" in web1[1]

    second = playbook([reclaim("scaled down", {"scaled_down": True})])["scaled down"]
    freed = [item for item in second.result["items"] if item["decision"] == "reclaim" and item["kind"] == "reservation"]
    assert [item["reason"] for item in freed] == [
        "ordinal 1 is at or above replicas 1 of StatefulSet web after a scale-down"
    ]
    assert ("shared", ips["web-1"]) not in sandbox.records() and not sandbox.is_specific(SUBNET_6A, ips["web-1"])

    apps.delete_namespaced_stateful_set("web", sandbox.ns)
    sandbox.wait("web-0 gone", lambda: sandbox.pod("web-0") is None, timeout=60)
    sandbox.reserved("web-0")
    kept = decisions(playbook([reclaim("without the option")])["without the option"])
    assert kept["PodEniIP %s/%s" % (sandbox.ns, ips["web-0"])][0] == "keep"
    third = playbook([reclaim("statefulset deleted", {"statefulset_deleted": True})])["statefulset deleted"]
    assert decisions(third)["PodEniIP %s/%s" % (sandbox.ns, ips["web-0"])] == (
        "reclaim",
        "StatefulSet %s/web was deleted" % sandbox.ns,
    )
    assert sandbox.records() == {}


def test_the_faqs_manual_reclaim_by_ip_and_by_pod_refuses_a_running_holder_unless_forced(playbook, sandbox):
    sandbox.pods.create(namespace=sandbox.ns, body=bare_pod("run-sh", "shared"))
    sandbox.pods.create(namespace=sandbox.ns, body=bare_pod("gone-ex", "exclusive"))
    ip = sandbox.running("run-sh")
    sandbox.running("gone-ex")
    sandbox.delete_pod("gone-ex")
    eni = sandbox.reserved("gone-ex")["spec"]["eniId"]
    before = sandbox.state()
    refused = playbook(
        [
            reclaim("running holder", {"ip": ip}, ignore_errors=True),
            reclaim("outside the container subnets", {"ip": "10.9.9.9"}, ignore_errors=True),
            reclaim("no such pod", {"namespace": sandbox.ns, "pod_name": "nobody-0"}, ignore_errors=True),
            reclaim("by pod in check mode", {"namespace": sandbox.ns, "pod_name": "gone-ex"}, check_mode=True),
        ]
    )
    assert (
        refused["running holder"].failed
        and "run-sh" in refused["running holder"].msg
        and "force=true" in refused["running holder"].msg
    )
    assert (
        refused["outside the container subnets"].failed and "10.9.9.9" in refused["outside the container subnets"].msg
    )
    # No record keeps it: nothing to do, said in a warning (a rerun of a finished manual reclaim is this no-op).
    nobody = refused["no such pod"]
    assert not nobody.failed and not nobody.changed and "nobody-0" in nobody.result["nothing"]
    assert any("nothing to reclaim" in w for w in nobody.result["warnings"]), nobody.result
    assert refused["by pod in check mode"].changed and refused["by pod in check mode"].writes == {}
    assert sandbox.state() == before and all(
        step.writes == {} for step in refused.values()
    ), "refusals and check mode change nothing"

    steps = playbook(
        [
            reclaim("by pod", {"namespace": sandbox.ns, "pod_name": "gone-ex"}),
            reclaim("by ip with force", {"ip": ip, "force": True}),
        ]
    )
    by_pod = steps["by pod"]
    assert by_pod.changed and by_pod.result["freed"]["eni_id"] == eni and not sandbox.eni_exists(eni)
    forced = steps["by ip with force"]
    assert (
        forced.changed
        and forced.result["freed"]["ip"] == ip
        and "while pod %s/run-sh still ran" % sandbox.ns in forced.result["items"][0]["reason"]
    )
    assert sandbox.records() == {} and not sandbox.is_specific(SUBNET_6A, ip)
    assert all(ip not in (e["secondary_ips"] or []) for e in sandbox.emulator.state()["network_interfaces"].values())


def test_records_outlive_their_namespace_until_reclaim_has_freed_their_ips(
    playbook, kube, dyn, emulator, ksyun, wait_for
):
    core = client.CoreV1Api(kube)
    name = "gone-%s" % uuid.uuid4().hex[:8]
    core.create_namespace({"metadata": {"name": name}})
    sandbox = Sandbox(dyn, emulator, ksyun, wait_for, name)
    sandbox.pods.create(namespace=name, body=bare_pod("db-0", "shared"))
    sandbox.pods.create(namespace=name, body=bare_pod("db-1", "exclusive"))
    ip = sandbox.running("db-0")
    sandbox.running("db-1")
    eni = sandbox.record_of("db-1")["spec"]["eniId"]
    core.delete_namespace(name)
    wait_for("the namespace's pods gone", lambda: not sandbox.pods.get(namespace=name).to_dict()["items"], timeout=90)

    # A record its release freed is gone; one the release kept stays, deleting, until reclaim frees its IP.
    def marked():
        now = sandbox.records()
        return (now or "none left") if all(r["metadata"].get("deletionTimestamp") for r in now.values()) else None

    held = wait_for("the namespace's records deleted or marked deleting", marked, timeout=90)
    steps = playbook([reclaim("reclaim")])
    assert not steps["reclaim"].failed, steps["reclaim"]
    assert (
        held == "none left" or steps["reclaim"].changed or not sandbox.records()
    ), "what the releases kept, reclaim freed"
    wait_for(
        "namespace %s gone" % name,
        lambda: name not in [n.metadata.name for n in core.list_namespace().items],
        timeout=90,
    )
    assert not sandbox.is_specific(SUBNET_6A, ip) and not sandbox.eni_exists(eni), "nothing leaks"
    assert all(ip not in (e["secondary_ips"] or []) for e in emulator.state()["network_interfaces"].values())


def test_bad_input_fails_naming_the_value_and_changes_nothing(playbook, sandbox, kube):
    client.AppsV1Api(kube).create_namespaced_stateful_set(
        sandbox.ns, dict(statefulset("bad", "shared", 0, {"k8s.ksyun.com/ip-retention": "forever"}))
    )
    before = sandbox.state()
    steps = playbook(
        [
            reclaim("a retention that does not parse", ignore_errors=True),
            reclaim("an orphan age that does not parse", {"min_orphan_age": "soon"}, ignore_errors=True),
            reclaim("no concurrency", {"concurrency": 0}, ignore_errors=True),
            reclaim("a malformed IP", {"ip": "10.0.0.300"}, ignore_errors=True),
        ]
    )
    expected = {
        "a retention that does not parse": ["StatefulSet %s/bad" % sandbox.ns, "'forever'"],
        "an orphan age that does not parse": ["min_orphan_age", "'soon'"],
        "no concurrency": ["concurrency", "0"],
        "a malformed IP": ["'10.0.0.300'"],
    }
    for name, words in expected.items():
        step = steps[name]
        assert step.failed and all(word in step.msg for word in words) and step.writes == {}, step
    assert sandbox.state() == before
