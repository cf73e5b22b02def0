"""kill -9 of a whole ansible-playbook run (the playbook, its worker and the module it runs - every process below it,
as when a hook Job's pod is killed) at known points, then a rerun, then the audit: nothing leaked, nothing lost, nothing doubled.

The kill points are the playbook's own cloud writes: the emulator holds the Nth write of the modules' access key
open, before its action ran (``hang``) or after (``hang_after``), and the test kills the run while it waits for the
answer - so the cloud has, or has not, done exactly that write. Each phase's writes are counted by a clean run first.

Phases: pre-provision (ksyun.kce.fixed_ip state=reserved: 3 exclusive and 3 shared reservations in one task) and the
manual reclaim of those six (ksyun.kce.fixed_ip_reclaim per pod). After each kill the faults are reset and the phase
runs again to completion (a kill that held a subnet Lease makes the rerun wait for its expiry), then:
- pre-provision: 6 records with 6 distinct IPs; each shared IP reserved in the subnet, each exclusive pod's ENI there
  once, with the record's IP as its primary IP; no other ENI named for the namespace;
- reclaim: no record, no ENI named for the namespace, none of the IPs reserved;
- the audit (ksyun.kce.fixed_ip_audit) reports nothing about the namespace or its IPs.

KSYUN_KCE_CRASH_POINTS=all runs every write of both phases in both modes (`python -m benchmarks --only crash`
reports that sweep); the default runs three points in the README's test command.
"""

import json
import os
import signal
import subprocess
import time

import pytest
import yaml
from fixed_ip_sandbox import ACCESS_KEY_ID, SUBNET_6A, sandbox_environment

from playbook_runner import ANSIBLE_PLAYBOOK, playbook_environment

pytestmark = pytest.mark.controlplane

ZONE = "cn-beijing-6a"
PODS = tuple(("crash-%d" % i, "exclusive" if i < 3 else "shared") for i in range(6))
QUICK_POINTS = [("reserve", 1, "hang_after"), ("reserve", 5, "hang"), ("reclaim", 2, "hang_after")]
RESULTS = os.environ.get("KSYUN_KCE_CRASH_RESULTS")  # a JSON-lines file the sweep appends each point's outcome to


def _descendants(pid):
    """pid and every process below it (ansible's workers call setsid, so they are not in the playbook's group)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as f:
                    ppid = int(f.read().rsplit(") ", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def kill_run(pid):
    """kill -9 the run as a killed container would be killed: the playbook, its workers and the module they run.
    Everything is stopped first (SIGSTOP), so nothing forks or cleans up between finding it and killing it."""
    stopped = set()
    for _round in range(3):
        for each in set(_descendants(pid)) - stopped:
            try:
                os.kill(each, signal.SIGSTOP)
                stopped.add(each)
            except ProcessLookupError:
                pass
    for each in stopped:
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return stopped


def _tasks(phase, namespace):
    if phase == "reserve":
        return [
            {
                "name": "reserve",
                "ksyun.kce.fixed_ip": {
                    "state": "reserved",
                    "reservations": [{"namespace": namespace, "pod_name": p, "mode": m, "zone": ZONE} for p, m in PODS],
                },
            }
        ]
    return [
        {
            "name": "reclaim " + pod,
            "ksyun.kce.fixed_ip_reclaim": {"namespace": namespace, "pod_name": pod},
        }
        for pod, _mode in PODS
    ]


class Runs:
    """Runs one phase's playbook whole, or killed at a write, with the sandbox's credentials."""

    def __init__(self, sandbox_state, emulator, emulator_url, tmp_path, namespace):
        self.emulator, self.tmp_path, self.namespace = emulator, tmp_path, namespace
        self.env = playbook_environment(tmp_path, sandbox_environment(sandbox_state, emulator_url))

    def playbook(self, phase):
        path = self.tmp_path / ("%s.yml" % phase)
        play = {"name": phase, "hosts": "localhost", "connection": "local", "gather_facts": False}
        path.write_text(yaml.safe_dump([dict(play, tasks=_tasks(phase, self.namespace))], sort_keys=False))
        return path

    def start(self, phase, **kwargs):
        """The phase's ansible-playbook, started (subprocess.Popen keyword arguments as given)."""
        return subprocess.Popen(  # pylint: disable=consider-using-with
            [str(ANSIBLE_PLAYBOOK), str(self.playbook(phase))], cwd=self.tmp_path, env=self.env, **kwargs
        )

    def whole(self, phase):
        """(rc, cloud writes of the run, report) of a run to completion."""
        before = self.emulator.counters(caller=ACCESS_KEY_ID)["total_writes"]
        proc = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), str(self.playbook(phase))],
            cwd=self.tmp_path,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        writes = self.emulator.counters(caller=ACCESS_KEY_ID)["total_writes"] - before
        return proc.returncode, writes, proc.stdout

    def killed_at(self, phase, nth, mode):
        """Run the phase and kill -9 its process group while its nth write hangs; False if it ended before."""
        seen = self.emulator.counters(caller=ACCESS_KEY_ID)["faults"].get(mode, 0)
        writes = self.emulator.counters(caller=ACCESS_KEY_ID)["total_writes"]
        self.emulator.faults(fail_nth=[{"nth": nth, "mode": mode, "scope": "writes", "caller": ACCESS_KEY_ID}])
        try:
            proc = self.start(phase, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and proc.poll() is None:
                counters = self.emulator.counters(caller=ACCESS_KEY_ID)
                if counters["faults"].get(mode, 0) > seen:
                    killed = kill_run(proc.pid)
                    proc.wait(30)
                    assert len(killed) >= 3, "only %s killed: the module process was not found" % sorted(killed)
                    # The hung write is the nth of this run: it reached the emulator, its action ran or not by mode.
                    assert counters["total_writes"] - writes == nth, (counters["total_writes"] - writes, nth)
                    return True
                time.sleep(0.05)
            if proc.poll() is None:
                kill_run(proc.pid)
                proc.wait(30)
                raise AssertionError("the %s run neither reached write %d nor ended in 300 s" % (phase, nth))
            return False
        finally:
            self.emulator.reset_faults()


def _lease(dyn):
    """The spec of the subnet lock's Lease of SUBNET_6A ({} if none)."""
    try:
        lease = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease").get(
            name="kcefip-subnet-" + SUBNET_6A, namespace="kube-system"
        )
    except Exception:  # pylint: disable=broad-except  # not found: no lock was ever taken
        return {}
    return lease.to_dict().get("spec") or {}


def _records(dyn, namespace):
    out = {}
    for kind in ("PodEni", "PodEniIP"):
        items = dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).get(namespace=namespace).to_dict()
        for item in items["items"]:
            out[item["spec"]["podName"]] = (kind, item["spec"].get("ip"), item["spec"].get("eniId"))
    return out


def _enis_named_for(emulator, namespace):
    return [e for e in emulator.state()["network_interfaces"].values() if namespace in (e.get("name") or "")]


def _specific(emulator, ips):
    attributes = emulator.state()["ip_attributes"].get(SUBNET_6A) or {}
    return {ip for ip in ips if (attributes.get(ip) or {}).get("allocate_status") == "specific"}


def _check_reserved(dyn, emulator, namespace):
    records = _records(dyn, namespace)
    assert sorted(records) == [p for p, _m in PODS], records
    ips = [ip for _kind, ip, _eni in records.values()]
    assert len(set(ips)) == len(ips) == len(PODS), "an IP kept twice: %s" % records
    enis = _enis_named_for(emulator, namespace)
    exclusive = {p: records[p] for p, m in PODS if m == "exclusive"}
    assert sorted(e["id"] for e in enis) == sorted(eni for _k, _ip, eni in exclusive.values()), (enis, records)
    for _kind, ip, eni in exclusive.values():
        assert [e["primary_ip"] for e in enis if e["id"] == eni] == [ip]
    shared_ips = {records[p][1] for p, m in PODS if m == "shared"}
    assert _specific(emulator, shared_ips) == shared_ips, "a shared IP is not reserved in the subnet"
    return ips


def _check_reclaimed(dyn, emulator, namespace, ips):
    assert _records(dyn, namespace) == {}
    assert _enis_named_for(emulator, namespace) == []
    assert _specific(emulator, ips) == set()


def _audit_clean(playbook, namespace, ips):
    steps = playbook([{"name": "audit", "ksyun.kce.fixed_ip_audit": {}}])
    audit = steps["audit"]
    assert not audit.failed, audit
    mine = [
        f for f in audit.result["findings"] if namespace in f["subject"] or any(ip and ip in f["subject"] for ip in ips)
    ]
    assert not mine, mine


def _points():
    if os.environ.get("KSYUN_KCE_CRASH_POINTS") != "all":
        return QUICK_POINTS
    # Every write of both phases - one per reservation each way (test_each_phase_makes_the_fewest_...) - both modes.
    return [
        (phase, nth, mode)
        for phase in ("reserve", "reclaim")
        for nth in range(1, len(PODS) + 1)
        for mode in ("hang", "hang_after")
    ]


@pytest.mark.parametrize("phase, nth, mode", _points(), ids=str)
def test_a_run_killed_at_a_write_converges_on_rerun_and_leaks_nothing(
    phase, nth, mode, sandbox_state, emulator, emulator_url, dyn, namespace, playbook, tmp_path
):
    runs = Runs(sandbox_state, emulator, emulator_url, tmp_path, namespace)
    outcome = {"phase": phase, "write": nth, "mode": mode}
    if phase == "reclaim":
        rc, _writes, out = runs.whole("reserve")
        assert rc == 0, out[-3000:]
    ips = [ip for _k, ip, _e in _records(dyn, namespace).values()]

    started = time.monotonic()
    outcome["killed"] = runs.killed_at(phase, nth, mode)
    assert outcome["killed"], "the %s run ended before its write %d: fewer writes than the point assumes" % (phase, nth)
    held = _lease(dyn)
    rc, writes, out = runs.whole(phase)
    outcome.update(rerun_rc=rc, rerun_writes=writes, seconds=round(time.monotonic() - started, 1))
    assert rc == 0, out[-3000:]
    after = _lease(dyn)
    outcome["lease_held_by_killed_run"] = bool(held.get("holderIdentity"))
    if held.get("holderIdentity"):
        # The dead run's Lease was taken over by the rerun once its duration passed, not ignored.
        assert int(after.get("leaseTransitions") or 0) > int(held.get("leaseTransitions") or 0), (held, after)
    # The rerun does what is left: each of the writes the killed run got done is not done again.
    done = nth if mode == "hang_after" else nth - 1
    assert writes == len(PODS) - done, "the rerun wrote %d times after %d writes were done" % (writes, done)

    if phase == "reserve":
        ips = _check_reserved(dyn, emulator, namespace)
        rc, writes, out = runs.whole("reserve")
        assert (rc, writes) == (0, 0), "a second rerun still wrote %d times" % writes
    else:
        _check_reclaimed(dyn, emulator, namespace, ips)
    _audit_clean(playbook, namespace, ips)
    outcome["leaks"] = 0
    if RESULTS:
        with open(RESULTS, "a", encoding="utf-8") as f:
            f.write(json.dumps(outcome) + "\n")


def test_each_phase_makes_the_fewest_cloud_writes_its_reservations_need(
    sandbox_state, emulator, emulator_url, dyn, namespace, tmp_path
):
    """One write per reservation each way (the crash sweep's kill points are these writes): an exclusive pod's ENI
    created with its IP as primary IP, a shared pod's IP marked reserved; deleted / unmarked again by the reclaim."""
    runs = Runs(sandbox_state, emulator, emulator_url, tmp_path, namespace)
    before = emulator.counters(caller=ACCESS_KEY_ID)["writes"]
    rc, writes, out = runs.whole("reserve")
    assert rc == 0, out[-3000:]
    after = emulator.counters(caller=ACCESS_KEY_ID)["writes"]
    by_action = {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}
    print("reserve writes", by_action)
    assert writes == len(PODS), by_action
    rc, writes, out = runs.whole("reclaim")
    assert rc == 0, out[-3000:]
    final = emulator.counters(caller=ACCESS_KEY_ID)["writes"]
    print("reclaim writes", {k: v - after.get(k, 0) for k, v in final.items() if v - after.get(k, 0)})
    assert writes == len(PODS)
    # A manual reclaim run again once it finished: nothing left, no write, each task says so in a warning.
    rc, writes, out = runs.whole("reclaim")
    assert (rc, writes) == (0, 0), out[-3000:]
    tasks = json.loads(out)["plays"][0]["tasks"]
    assert [t["hosts"]["localhost"]["changed"] for t in tasks] == [False] * len(PODS)
    assert all("nothing to reclaim" in t["hosts"]["localhost"]["nothing"] for t in tasks)
    assert all(t["hosts"]["localhost"]["warnings"] for t in tasks)
