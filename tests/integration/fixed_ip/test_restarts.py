"""Parts of the system crash half-way (kill -9) and come back: the KSYUN emulator (with its state file) and the
kube-apiserver during a pre-provision run of the real ansible-playbook, and the node agent (the sandbox's VPC-CNI) in the
middle of a bind and of a release.

A run that loses the emulator or the API server either fails with a clear message (no traceback) or retries and
succeeds; a rerun then converges - every reservation once, each exclusive pod's ENI holding its IP, each shared IP
reserved - a second rerun writes nothing, and the audit reports nothing about the namespace. A node agent killed while
the cloud holds its write comes back (as a DaemonSet pod would), finds the pod where it left it and finishes: the pod
runs with its reserved IP, and the audit is clean.

The kill points: the emulator killed while it holds the run's 3rd cloud write, before it did it (``hang``) and after
(``hang_after``: done, and saved to the state file, but never answered); the API server killed once the run made its
2nd cloud write (every call 150 ms slower, so the run is still going); the node agent killed while the cloud holds its
first write of a bind or a release, in both ENI modes. KSYUN_KCE_CRASH_POINTS=all adds each mode's second write and the
``hang`` side for the node agent.
"""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from fixed_ip_pods import statefulset
from fixed_ip_sandbox import ACCESS_KEY_ID
from kubernetes import client
from test_crash_points import Runs, _audit_clean, _check_reserved, _records, kill_run

from sandbox.controlplane import cluster as sandbox_cluster

pytestmark = pytest.mark.controlplane

AGENT = "sandbox"  # the access key id the node agent signs its cloud calls with


def _restart(sandbox_state, component):
    """Crash and restart the component; the session's sandbox_state gets the new pid (later tests read it)."""
    sandbox_state.update(sandbox_cluster.restart(component, root=Path(sandbox_state["root"])))


def _wait_fault(emulator, caller, kind, seen=0, timeout=120.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator.counters(caller=caller)["faults"].get(kind, 0) > seen:
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError("the run ended (rc %s) before the cloud held its write" % proc.returncode)
        time.sleep(0.05)
    raise AssertionError("no %s fault for %s within %ss" % (kind, caller, timeout))


def _clear_failure(stdout):
    """The message of the failed task of a JSON-callback run, checked to be one a user can act on."""
    report = json.loads(stdout)
    failed = [
        (task["task"]["name"], result)
        for play in report["plays"]
        for task in play["tasks"]
        for result in task["hosts"].values()
        if result.get("failed")
    ]
    assert failed, "the run failed without a failed task: %s" % stdout[-2000:]
    name, result = failed[-1]
    msg = result.get("msg") or ""
    # "Module failed:" is how ansible-core 2.19 reports an exception the module did not handle (a traceback).
    assert msg and "Traceback" not in msg and "MODULE FAILURE" not in msg and "Module failed" not in msg, (name, result)
    # ansible-core 2.19 puts "(traceback unavailable)" into every failed result that carries no traceback of its own.
    assert "Traceback" not in (result.get("module_stderr") or ""), (name, result)
    assert result.get("exception") in (None, "", "(traceback unavailable)"), (name, result)
    return msg


def _run_through(proc, outcome):
    """Wait for the run; record how it ended (and check a failure is a clear message)."""
    stdout, _stderr = proc.communicate(timeout=600)
    outcome["run_rc"] = proc.returncode
    if proc.returncode != 0:
        outcome["message"] = _clear_failure(stdout)


def _converges(runs, dyn, emulator, namespace, playbook, outcome):
    rc, writes, out = runs.whole("reserve")
    assert rc == 0, out[-3000:]
    outcome["rerun_writes"] = writes
    ips = _check_reserved(dyn, emulator, namespace)
    rc, writes, out = runs.whole("reserve")
    assert (rc, writes) == (0, 0), "a second rerun still wrote %d times: %s" % (writes, out[-2000:])
    _audit_clean(playbook, namespace, ips)


@pytest.mark.parametrize("mode", ["hang", "hang_after"])
def test_the_emulator_killed_mid_run_and_restarted_from_its_state_file_then_a_rerun_converges(
    mode, sandbox_state, emulator, emulator_url, dyn, namespace, playbook, tmp_path
):
    runs = Runs(sandbox_state, emulator, emulator_url, tmp_path, namespace)
    outcome = {"component": "ksyun-emulator", "write": 3, "mode": mode}
    emulator.faults(fail_nth=[{"nth": 3, "mode": mode, "scope": "writes", "caller": ACCESS_KEY_ID}])
    proc = runs.start("reserve", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_fault(emulator, ACCESS_KEY_ID, mode, proc=proc)
        _restart(sandbox_state, "ksyun-emulator")
        _run_through(proc, outcome)
    finally:
        if proc.poll() is None:
            kill_run(proc.pid)
            proc.wait(30)
    _converges(runs, dyn, emulator, namespace, playbook, outcome)
    print("outcome", outcome)


def test_the_apiserver_killed_mid_run_and_restarted_then_a_rerun_converges(
    sandbox_state, emulator, emulator_url, dyn, kube, namespace, playbook, tmp_path, wait_for
):
    runs = Runs(sandbox_state, emulator, emulator_url, tmp_path, namespace)
    outcome = {"component": "kube-apiserver", "after_write": 2}
    writes = emulator.counters(caller=ACCESS_KEY_ID)["total_writes"]
    emulator.faults(latency_ms=150)
    proc = runs.start("reserve", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(
            "the run's 2nd cloud write",
            lambda: emulator.counters(caller=ACCESS_KEY_ID)["total_writes"] - writes >= 2 or proc.poll() is not None,
            timeout=300,
            interval=0.05,
        )
        assert proc.poll() is None, "the run ended before its 2nd write: %s" % proc.communicate()[0][-2000:]
        _restart(sandbox_state, "kube-apiserver")
        _run_through(proc, outcome)
    finally:
        emulator.reset_faults()
        if proc.poll() is None:
            kill_run(proc.pid)
            proc.wait(30)
    assert client.VersionApi(kube).get_code().git_version.startswith("v1.")
    _converges(runs, dyn, emulator, namespace, playbook, outcome)
    print("outcome", outcome)


def _agent_points():
    points = [(flow, mode, 1, "hang_after") for flow in ("bind", "release") for mode in ("shared", "exclusive")]
    if os.environ.get("KSYUN_KCE_CRASH_POINTS") == "all":
        points += [
            (flow, mode, nth, kind)
            for flow in ("bind", "release")
            for mode in ("shared", "exclusive")
            for nth, kind in ((1, "hang"), (2, "hang"), (2, "hang_after"))
        ]
    return points


def _running(core, namespace, name, other_than=None):
    try:
        pod = core.read_namespaced_pod(name, namespace)
    except client.exceptions.ApiException:
        return None
    if other_than and pod.metadata.uid == other_than:
        return None
    ok = pod.status.phase == "Running" and pod.status.pod_ip and not pod.metadata.deletion_timestamp
    return pod if ok else None


@pytest.mark.parametrize("flow, mode, nth, kind", _agent_points(), ids=str)
def test_the_node_agent_killed_in_a_bind_or_release_comes_back_and_finishes_it(
    flow, mode, nth, kind, sandbox_state, emulator, kube, dyn, namespace, playbook, wait_for
):
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    fault = [{"nth": nth, "mode": kind, "scope": "writes", "caller": AGENT}]
    first = None
    if flow == "bind":
        emulator.faults(fail_nth=fault)
    apps.create_namespaced_stateful_set(namespace, statefulset("web", mode, 1))
    if flow == "release":
        first = wait_for("web-0 running", lambda: _running(core, namespace, "web-0"), timeout=120)
        emulator.faults(fail_nth=fault)
        core.delete_namespaced_pod("web-0", namespace)
    try:
        _wait_fault(emulator, AGENT, kind)
        _restart(sandbox_state, "node-agent")
    finally:
        emulator.reset_faults()
    pod = wait_for(
        "web-0 running again",
        lambda: _running(core, namespace, "web-0", other_than=first.metadata.uid if first else None),
        timeout=180,
    )
    records = _records(dyn, namespace)
    assert list(records) == ["web-0"] and records["web-0"][1] == pod.status.pod_ip, (records, pod.status.pod_ip)
    if first is not None:
        assert pod.status.pod_ip == first.status.pod_ip, "the fixed IP changed across the crash"
    _audit_clean(playbook, namespace, [pod.status.pod_ip])
