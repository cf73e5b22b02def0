"""Runs at once against one cluster and one cloud: two manual reclaims of the same six reservations and a pre-provision
of six new ones in another namespace, all started together (real ansible-playbook processes).

The subnet Leases serialise them; the reclaim that comes second finds nothing left to free, or finds the other one in
the middle of a record and stops with a clear message; run again, it converges. Afterwards: the first namespace has no
record, ENI or reserved IP left, the second has six records with six distinct IPs (each exclusive pod's ENI holding
its IP, each shared IP reserved), no IP is kept by two records anywhere, and the audit reports nothing about either
namespace.
"""

import subprocess
import uuid

import pytest
from kubernetes import client
from test_crash_points import PODS, Runs, _audit_clean, _check_reclaimed, _check_reserved, _records
from test_fault_storm import _clear_failure

pytestmark = pytest.mark.controlplane


@pytest.fixture
def second_namespace(kube, namespace):  # after `namespace`, whose set-up resets the sandbox's baseline
    """Another fresh namespace; the test frees its reservations itself (the manual reclaim) before it is deleted."""
    name = "fip-%s" % uuid.uuid4().hex[:8]
    core = client.CoreV1Api(kube)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def test_two_reclaims_and_a_pre_provision_at_once_keep_every_ip_once(
    sandbox_state, emulator, emulator_url, dyn, namespace, second_namespace, playbook, tmp_path
):
    first = Runs(sandbox_state, emulator, emulator_url, tmp_path / "a", namespace)
    second = Runs(sandbox_state, emulator, emulator_url, tmp_path / "b", second_namespace)
    for runs in (first, second):
        runs.tmp_path.mkdir()
    rc, _writes, out = first.whole("reserve")
    assert rc == 0, out[-3000:]
    freed = [ip for _kind, ip, _eni in _records(dyn, namespace).values()]

    procs = [
        runs.start(phase, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for runs, phase in ((first, "reclaim"), (first, "reclaim"), (second, "reserve"))
    ]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    # Each run succeeds, or - the reclaim that finds the other one in the middle of a record (Reclaiming, changed
    # under it) - fails with a clear message and no traceback; a rerun then converges.
    assert procs[2].returncode == 0, outputs[2][-3000:]
    for proc, out in zip(procs[:2], outputs[:2]):
        if proc.returncode != 0:
            _clear_failure(out)
    rc, _writes, out = first.whole("reclaim")
    assert rc == 0, out[-3000:]

    _check_reclaimed(dyn, emulator, namespace, freed)
    kept = _check_reserved(dyn, emulator, second_namespace)
    everywhere = [
        (item["spec"].get("ip"), item["metadata"]["namespace"])
        for kind in ("PodEni", "PodEniIP")
        for item in dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).get().to_dict()["items"]
    ]
    ips = [ip for ip, _ns in everywhere if ip]
    assert len(ips) == len(set(ips)), "an IP kept by two records: %s" % sorted(everywhere)
    assert len(kept) == len(PODS)
    _audit_clean(playbook, namespace, freed)
    _audit_clean(playbook, second_namespace, kept)
    rc, _writes, out = second.whole("reclaim")
    assert rc == 0, out[-3000:]
    _check_reclaimed(dyn, emulator, second_namespace, kept)
