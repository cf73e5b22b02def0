"""A storm of cloud faults during pre-provision and reclaim: throttling, 5xx answers, dropped connections and latency
spikes at once. Each run ends successful or with a clear error (a message, no traceback); with the faults gone a rerun
converges, and the state is then exactly what a run without faults leaves, with nothing for the audit to report."""

import json

import pytest
from fixed_ip_sandbox import ACCESS_KEY_ID
from test_crash_points import Runs, _audit_clean, _check_reclaimed, _check_reserved, _records

pytestmark = pytest.mark.controlplane

STORM = {
    "throttle_rate": 0.25,
    "error_rate": 0.15,
    "error_status": 503,
    "drop_rate": 0.05,
    "drop_phase": "after",
    "latency_ms": 5,
    "latency_jitter_ms": 200,
    "fault_seed": 7,
}


def _clear_failure(out):
    """The failed run's messages: present, and none a Python traceback."""
    report = json.loads(out)
    failed = [
        (entry["task"]["name"], host.get("msg", ""))
        for play in report["plays"]
        for entry in play["tasks"]
        for host in entry["hosts"].values()
        if host.get("failed")
    ]
    assert failed, "rc != 0 but no task failed"
    for _name, msg in failed:
        assert msg and "Traceback" not in msg, msg
    return failed


@pytest.mark.parametrize("phase", ["reserve", "reclaim"])
def test_a_run_in_a_fault_storm_succeeds_or_fails_clearly_and_a_rerun_converges(
    phase, sandbox_state, emulator, emulator_url, dyn, namespace, playbook, tmp_path
):
    runs = Runs(sandbox_state, emulator, emulator_url, tmp_path, namespace)
    if phase == "reclaim":
        rc, _writes, out = runs.whole("reserve")
        assert rc == 0, out[-3000:]
    ips = [ip for _k, ip, _e in _records(dyn, namespace).values()]
    before = sum(emulator.counters(caller=ACCESS_KEY_ID)["faults"].values())
    emulator.faults(**STORM)
    try:
        rc, _writes, out = runs.whole(phase)
    finally:
        emulator.reset_faults()
    assert sum(emulator.counters(caller=ACCESS_KEY_ID)["faults"].values()) > before, "the storm injected nothing"
    if rc != 0:
        _clear_failure(out)
    rc, _writes, out = runs.whole(phase)
    assert rc == 0, out[-3000:]
    if phase == "reserve":
        ips = _check_reserved(dyn, emulator, namespace)
        rc, writes, out = runs.whole("reserve")
        assert (rc, writes) == (0, 0), out[-3000:]
    else:
        _check_reclaimed(dyn, emulator, namespace, ips)
    _audit_clean(playbook, namespace, ips)
