"""The fixed IP audit: each kind of drift made on purpose is found with its fix; repair fixes exactly what is old enough.

Drift is made the way it happens: a cloud call by hand behind VPC-CNI's back, a record written by hand, a pod
scheduled outside its IP's zone. Repair is run from a saved report (report, review, repair). The audit playbook's
HTML page is opened in headless Chromium (headless_chromium.py): it renders without console messages and its
screenshot shows each subnet's picture, address by address.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from fixed_ip_pods import Sandbox, bare_pod
from fixed_ip_sandbox import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SECURITY_GROUP, SUBNET_6A, SUBNET_6B
from headless_chromium import (
    COLUMNS,
    PITCH,
    STATE_COLOURS,
    PageDom,
    chromium,
    chromium_missing,
    colour_counts,
    pictures_in,
    states_drawn,
)

from sandbox.paths import collections_root

pytestmark = pytest.mark.controlplane

NODE_48 = "5f2c7a10-0004-4a6e-9c1b-000000000048"


def audit(name, args=None, **extra):
    return dict({"name": name, "ksyun.kce.fixed_ip_audit": dict(args or {})}, **extra)


def kinds(step):
    return {(f["kind"], f["subject"]): f for f in step.result["findings"]}


def of(step, namespace, eni_ids, ips):
    """The findings about what this test made (the sandbox is shared, other tests' leftovers are not ours)."""
    return {
        key: f
        for key, f in kinds(step).items()
        if namespace in f["subject"]
        or any(e in f["subject"] for e in eni_ids)
        or any(ip + " " in f["subject"] + " " for ip in ips)
    }


@pytest.fixture
def sandbox(namespace, dyn, emulator, ksyun, wait_for):
    return Sandbox(dyn, emulator, ksyun, wait_for, namespace)


def test_audit_finds_each_kind_of_drift_and_repair_fixes_exactly_what_is_old_enough(playbook, sandbox, ksyun, wait_for):
    ns = sandbox.ns
    sandbox.pods.create(namespace=ns, body=bare_pod("share-0", "shared"))
    sandbox.pods.create(namespace=ns, body=bare_pod("wander-0", "exclusive"))
    sandbox.running("share-0")
    sandbox.running("wander-0")
    shared_eni = sandbox.record_of("share-0")["spec"]["eniId"]
    wander_eni = sandbox.record_of("wander-0")["spec"]["eniId"]
    # eni-on-another-node: the pod's ENI moved by hand.
    ksyun.detach_network_interface("5f2c7a10-0004-4a6e-9c1b-000000000047", wander_eni)
    ksyun.wait_network_interface(wander_eni, None, timeout=30, interval=0.1)
    ksyun.attach_network_interface(NODE_48, wander_eni)
    ksyun.wait_network_interface(wander_eni, NODE_48, timeout=30, interval=0.1)
    # ip-on-eni-without-record, eni-without-record, reserved-ip-without-record.
    ksyun.assign_private_ips(shared_eni, ["10.0.0.252"])
    orphan = ksyun.create_network_interface(SUBNET_6A, [SECURITY_GROUP], name="kcefip_sandbox_ex_%s_orphan-0" % ns)
    ksyun.reserve_private_ip(SUBNET_6A, "10.0.0.251")
    phantom_uid, ghost_eni = str(uuid.uuid4()), str(uuid.uuid4())
    # eip-of-record-gone (the phantom's EIP does not exist), eip-not-on-its-ip (share-0's EIP is not associated).
    gone_eip, free_eip = str(uuid.uuid4()), ksyun.allocate_address(band_width=1)["AllocationId"]
    share_ip = sandbox.record_of("share-0")["spec"]["ip"]
    records = playbook(
        [
            {
                "name": "record-without-cloud",
                "ksyun.kce.pod_eni": {
                    "namespace": ns,
                    "pod_name": "ghost-0",
                    "eni_id": ghost_eni,
                    "ip": "10.0.0.250",
                    "subnet_id": SUBNET_6A,
                    "zone": "cn-beijing-6a",
                },
            },
            {
                "name": "record-of-a-gone-pod",
                "ksyun.kce.pod_eni_ip": {
                    "namespace": ns,
                    "ip": "10.0.0.253",
                    "pod_name": "phantom-0",
                    "subnet_id": SUBNET_6A,
                    "zone": "cn-beijing-6a",
                    "phase": "Bound",
                    "pod_uid": phantom_uid,
                    "node_name": "10.0.0.47",
                    "eip_id": gone_eip,
                },
            },
            {
                "name": "eip-not-on-its-ip",
                "ksyun.kce.pod_eni_ip": {"namespace": ns, "ip": share_ip, "eip_id": free_eip},
            },
            {
                "name": "a reservation in zone 6b",
                "ksyun.kce.pod_eni_ip": {
                    "namespace": ns,
                    "ip": "10.0.1.50",
                    "pod_name": "lost-0",
                    "subnet_id": SUBNET_6B,
                    "zone": "cn-beijing-6b",
                },
            },
        ]
    )
    assert not any(step.failed for step in records.values()), records
    # pod-outside-its-zone: its reservation is in zone 6b, the pod lands in 6a and waits without an IP.
    sandbox.pods.create(namespace=ns, body=bare_pod("lost-0", "shared"))
    time.sleep(2)
    assert not ((sandbox.pod("lost-0") or {}).get("status") or {}).get("podIP")
    ips = ("10.0.0.250", "10.0.0.251", "10.0.0.252", "10.0.0.253")
    mine = (orphan, wander_eni, shared_eni)
    later = None
    try:
        before = sandbox.state()
        first = playbook(
            [audit("audit in check mode", check_mode=True), audit("repair without a report", {"repair": True})]
        )
        report = first["audit in check mode"].result
        found = of(first["audit in check mode"], ns, mine, ips)
        expected = {
            ("record-without-cloud", "PodEni %s/ghost-0" % ns),
            ("eni-without-record", "ENI %s (kcefip_sandbox_ex_%s_orphan-0)" % (orphan, ns)),
            ("reserved-ip-without-record", "IP 10.0.0.251 in subnet %s" % SUBNET_6A),
            ("record-of-a-gone-pod", "PodEniIP %s/10.0.0.253" % ns),
            ("pod-outside-its-zone", "pod %s/lost-0" % ns),
            ("eni-on-another-node", "PodEni %s/wander-0" % ns),
            ("eip-of-record-gone", "PodEniIP %s/10.0.0.253" % ns),
            ("eip-not-on-its-ip", "PodEniIP %s/%s" % (ns, share_ip)),
        }
        assert expected <= set(found), sorted(found)
        on_eni = [key for key in found if key[0] == "ip-on-eni-without-record"]
        assert on_eni and "10.0.0.252" in found[on_eni[0]]["detail"], found
        assert (
            "topology.kubernetes.io/zone In [cn-beijing-6b]"
            in found[("pod-outside-its-zone", "pod %s/lost-0" % ns)]["fix"]
        )
        assert report["format"] == "ksyun.kce/fixed-ip-audit/v1" and not report["in_sync"]
        subnet = next(s for s in report["subnets"] if s["subnet_id"] == SUBNET_6A)
        states = {a["ip"]: a["state"] for a in subnet["addresses"]}
        assert states["10.0.0.251"] == "reserved" and states["10.0.0.252"] == "held" and states["10.0.0.249"] == "free"
        young = first["repair without a report"]
        assert (
            not young.changed and young.writes == {} and sandbox.state() == before
        ), "nothing younger than an hour is repaired"
        reasons = {(f["kind"], f["subject"]): f["not_repaired"] for f in young.result["findings"]}
        assert (
            "younger than the minimum age"
            in reasons[("eni-without-record", "ENI %s (kcefip_sandbox_ex_%s_orphan-0)" % (orphan, ns))]
        )
        assert "its age is unknown" in reasons[("reserved-ip-without-record", "IP 10.0.0.251 in subnet %s" % SUBNET_6A)]

        time.sleep(3)
        later = ksyun.create_network_interface(SUBNET_6A, [SECURITY_GROUP], name="kcefip_sandbox_ex_%s_orphan-1" % ns)
        mine = mine + (later,)
        # The saved report with a finding about an ENI created after it was made: it cannot vouch for that ENI's age.
        stale = dict(
            report,
            findings=report["findings"]
            + [{"key": "eni-without-record ENI %s (kcefip_sandbox_ex_%s_orphan-1)" % (later, ns)}],
        )
        steps = playbook(
            [
                audit("not a report", {"repair": True, "report": {"findings": "none"}}, ignore_errors=True),
                audit("another cluster", {"repair": True, "report": dict(report, cluster="other")}, ignore_errors=True),
                audit(
                    "older than what it names", {"repair": True, "report": stale, "min_age": "1s"}, ignore_errors=True
                ),
                audit("bad min age", {"repair": True, "min_age": "soon"}, ignore_errors=True),
                audit("repair from the report", {"repair": True, "report": report, "min_age": "2s"}),
                audit("audit again", {}),
            ]
        )
        for name, word in (
            ("not a report", "not a fixed IP audit report"),
            ("another cluster", "'other'"),
            ("older than what it names", later),
            ("bad min age", "'soon'"),
        ):
            assert steps[name].failed and word in steps[name].msg and steps[name].writes == {}, steps[name]
        repair = steps["repair from the report"]
        done = {(f["kind"], f["subject"]) for f in repair.result["findings"] if f["repaired"]}
        assert done == {
            ("record-without-cloud", "PodEni %s/ghost-0" % ns),
            ("eni-without-record", "ENI %s (kcefip_sandbox_ex_%s_orphan-0)" % (orphan, ns)),
            ("reserved-ip-without-record", "IP 10.0.0.251 in subnet %s" % SUBNET_6A),
        } | {
            key for key in done if ns not in key[1] and not any(e in key[1] for e in mine)
        }, "exactly the report's old-enough findings"
        assert (
            not sandbox.eni_exists(orphan)
            and sandbox.eni_exists(later)
            and not sandbox.is_specific(SUBNET_6A, "10.0.0.251")
        )
        assert ("exclusive", "ghost-0") not in sandbox.records()
        left = of(steps["audit again"], ns, mine, ips)
        assert ("eni-without-record", "ENI %s (kcefip_sandbox_ex_%s_orphan-1)" % (later, ns)) in left
        assert ("record-of-a-gone-pod", "PodEniIP %s/10.0.0.253" % ns) in left, "a finding no repair may touch stays"
    finally:
        ksyun.release_address(free_eip)
        ksyun.unassign_private_ips(shared_eni, ["10.0.0.252"])
        for eni in (orphan, later):
            if eni and sandbox.eni_exists(eni):
                ksyun.delete_network_interface(eni)
        if sandbox.is_specific(SUBNET_6A, "10.0.0.251"):
            ksyun.release_private_ip_reservation(SUBNET_6A, "10.0.0.251")
        for name in ("share-0", "wander-0", "lost-0"):
            if sandbox.pod(name):
                sandbox.delete_pod(name)
        # The moved ENI is no release's to free (its record names another node): take it away by hand.
        if sandbox.eni_exists(wander_eni):
            if sandbox.emulator.state()["network_interfaces"][wander_eni]["instance_id"]:
                ksyun.detach_network_interface(NODE_48, wander_eni)
                ksyun.wait_network_interface(wander_eni, None, timeout=30, interval=0.1)
            ksyun.delete_network_interface(wander_eni)


@pytest.fixture(scope="module")
def audit_run(sandbox_state, emulator_url, tmp_path_factory, vpc_cni):
    """One run of the audit playbook (ksyun.kce.audit) as a user runs it: (the finished process, its audit_dir)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_", "K8S_AUTH_"))}
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        K8S_AUTH_KUBECONFIG=sandbox_state["kubeconfig"],
        KSYUN_ACCESS_KEY_ID=ACCESS_KEY_ID,
        KSYUN_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        KSYUN_REGION=REGION,
        KSYUN_ENDPOINT=emulator_url,
        ANSIBLE_LOCALHOST_WARNING="False",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
    )
    cwd = tmp_path_factory.mktemp("audit-playbook")
    out = cwd / "audit"
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "ksyun.kce.audit", "-e", "audit_dir=%s" % out],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, out


def test_the_audit_playbook_writes_the_report_as_json_and_as_one_html_page(audit_run):
    proc, out = audit_run
    assert SECRET_ACCESS_KEY not in proc.stdout + proc.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert report["format"] == "ksyun.kce/fixed-ip-audit/v1" and report["subnets"]
    assert (
        page.count('class="subnet-picture"') == len(report["subnets"])
        and "<script" not in page
        and "://" not in page.replace("http://www.w3.org/2000/svg", "")
        and "Content-Security-Policy" in page
    )
    assert "report.html" in proc.stdout


def test_the_audit_page_renders_in_headless_chromium_with_a_picture_of_each_subnet(audit_run, tmp_path):
    """Debian's Chromium opens report.html: no console message (a script error, or anything the page's
    Content-Security-Policy refused to load); the DOM has the summary, the findings and one picture per subnet with a
    rect per address; the screenshot shows each picture, square by square, in the colour of its address's state."""
    missing = chromium_missing()
    if missing:
        pytest.fail("the audit page cannot be opened in a browser: " + missing, pytrace=False)
    out = audit_run[1]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    page = out / "report.html"

    dom, console, _log = chromium(page, tmp_path / "profile-dom", "--dump-dom")
    assert not console, "the page logged to the console:\n" + "\n".join(console)
    seen = PageDom(dom)
    summary = {row[0]: row[1] for row in seen.tables.get("summary", [])[1:]}
    assert summary == {kind: str(n) for kind, n in report["summary"].items()}, seen.tables
    assert len(seen.tables.get("findings", [])[1:]) == len(report["findings"]), seen.tables
    rects = [len(rects) for rects in seen.pictures]
    assert rects == [len(s["addresses"]) for s in report["subnets"]], "rects of each svg.subnet-picture: %s" % rects
    for rects, subnet in zip(seen.pictures, report["subnets"]):
        assert [(c.split() or [""])[0] for c in rects] == [a["state"] for a in subnet["addresses"]], subnet["subnet_id"]

    # Tall enough for the header, the summary and every picture with its heading (the findings may fall below).
    height = 800 + sum(((len(s["addresses"]) + COLUMNS - 1) // COLUMNS) * PITCH + 150 for s in report["subnets"])
    png = tmp_path / "report.png"
    stdout, console, log = chromium(
        page, tmp_path / "profile-png", "--screenshot=%s" % png, "--window-size=1280,%d" % height
    )
    assert not console, "the page logged to the console:\n" + "\n".join(console)
    assert png.is_file(), stdout + log[-3000:]
    pixels = colour_counts(png)
    print("screenshot %s, 1280x%d: pixels of each state colour %s" % (png, height, pixels))
    counts = {state: sum(s["counts"][state] for s in report["subnets"]) for state in STATE_COLOURS}
    assert counts["held"] and counts["free"], counts
    for state in ("held", "free"):
        # 144 pixels a square (100 inside the outline of a recorded one), and the legend's swatch.
        low, high = counts[state] * 100, counts[state] * 144 + 400
        why = "%d %s addresses make %d to %d pixels" % (counts[state], state, low, high)
        assert low <= pixels[state] <= high, "%s of its colour, the screenshot has %s" % (why, pixels)
    blocks = pictures_in(png)
    assert blocks, "no square of any state colour in the screenshot"
    legend, drawn = blocks[0], blocks[1:]
    assert sorted(square[2] for square in legend) == sorted(STATE_COLOURS), "the legend: %s" % legend
    assert len(drawn) == len(report["subnets"]), "%d pictures drawn, %d subnets" % (len(drawn), len(report["subnets"]))
    for block, subnet in zip(drawn, report["subnets"]):
        shown = states_drawn(block)
        assert shown == [a["state"] for a in subnet["addresses"]], "%s: drawn %s, report %s" % (
            subnet["subnet_id"],
            {state: shown.count(state) for state in set(shown)},
            subnet["counts"],
        )
