"""A pod storm during a reclaim: every pod of two fixed-IP StatefulSets (shared and exclusive ENI mode) deleted at once
while a policy reclaim (the real ansible-playbook, every cloud call 40 ms slower) frees expired reservations in the same
subnet.

Both go through the same subnet's Lease and the same cloud: the reclaim frees exactly the expired reservations, every
storm pod comes back with the IP its record keeps, no IP is held by two ENIs or kept by two records, no run deadlocks
(both finish within their timeouts), and the audit reports nothing about the namespace.
"""

import json
import subprocess

import pytest
import yaml
from fixed_ip_pods import Sandbox, bare_pod, statefulset
from fixed_ip_sandbox import ACCESS_KEY_ID, SUBNET_6A, sandbox_environment
from kubernetes import client
from test_crash_points import _audit_clean

from playbook_runner import ANSIBLE_PLAYBOOK, playbook_environment

pytestmark = pytest.mark.controlplane

STORM = {"storm-sh": ("shared", 6), "storm-ex": ("exclusive", 2)}
EXPIRED = {"old-sh-%d" % i: "shared" for i in range(6)}
EXPIRED["old-ex-0"] = "exclusive"


def _storm_pods(core, namespace):
    """{pod name: (uid, IP)} of the storm StatefulSets' pods that run with an IP and are not being deleted."""
    out = {}
    for pod in core.list_namespaced_pod(namespace).items:
        name = pod.metadata.name
        if name.rsplit("-", 1)[0] not in STORM or pod.metadata.deletion_timestamp:
            continue
        if pod.status.phase == "Running" and pod.status.pod_ip:
            out[name] = (pod.metadata.uid, pod.status.pod_ip)
    return out


def _held_twice(emulator):
    """IPs that more than one ENI holds (primary or secondary), anywhere in the cloud."""
    holders = {}
    for eni in emulator.state()["network_interfaces"].values():
        for ip in [eni.get("primary_ip")] + list(eni.get("secondary_ips") or []):
            if ip:
                holders.setdefault(ip, []).append(eni["id"])
    return {ip: enis for ip, enis in holders.items() if len(enis) > 1}


def test_a_pod_storm_during_a_reclaim_keeps_every_live_ip_and_frees_only_the_expired(
    sandbox_state, emulator, emulator_url, kube, dyn, ksyun, namespace, playbook, wait_for, tmp_path
):
    core, apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
    sandbox = Sandbox(dyn, emulator, ksyun, wait_for, namespace)
    for name, mode in EXPIRED.items():
        sandbox.pods.create(namespace=namespace, body=bare_pod(name, mode))
    expired_ips = {name: sandbox.running(name) for name in EXPIRED}
    for name in EXPIRED:
        sandbox.delete_pod(name)
        sandbox.reserved(name)
        sandbox.expire(name)
    expired_enis = {sandbox.record_of(name)["spec"]["eniId"] for name, mode in EXPIRED.items() if mode == "exclusive"}
    for name, (mode, replicas) in STORM.items():
        apps.create_namespaced_stateful_set(namespace, statefulset(name, mode, replicas))
    total = sum(replicas for _mode, replicas in STORM.values())
    wait_for("the storm pods running", lambda: len(_storm_pods(core, namespace)) == total, timeout=240)
    before = _storm_pods(core, namespace)

    path = tmp_path / "reclaim.yml"
    play = {"name": "reclaim", "hosts": "localhost", "connection": "local", "gather_facts": False}
    path.write_text(yaml.safe_dump([dict(play, tasks=[{"name": "reclaim", "ksyun.kce.fixed_ip_reclaim": {}}])]))
    env = playbook_environment(tmp_path, sandbox_environment(sandbox_state, emulator_url))
    writes = emulator.counters(caller=ACCESS_KEY_ID)["total_writes"]
    emulator.faults(latency_ms=40)
    try:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [str(ANSIBLE_PLAYBOOK), str(path)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The storm starts once the reclaim is freeing: its first cloud write (it holds the subnet's Lease then).
        wait_for(
            "the reclaim's first cloud write",
            lambda: emulator.counters(caller=ACCESS_KEY_ID)["total_writes"] > writes or proc.poll() is not None,
            timeout=120,
            interval=0.02,
        )
        assert proc.poll() is None, "the reclaim ended before the storm: %s" % proc.communicate()[0][-2000:]
        for name in before:
            core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
        stdout, _stderr = proc.communicate(timeout=600)
    finally:
        emulator.reset_faults()
    assert proc.returncode == 0, stdout[-3000:]
    result = json.loads(stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]

    old_uids = {uid for uid, _ip in before.values()}

    def all_back():
        now = _storm_pods(core, namespace)
        return now if len(now) == total and not old_uids & {uid for uid, _ip in now.values()} else None

    after = wait_for("every storm pod running again (new pods)", all_back, timeout=300)
    assert {name: ip for name, (_uid, ip) in after.items()} == {name: ip for name, (_uid, ip) in before.items()}

    records = sandbox.records()
    kept_by = {}
    for (_mode, _name), record in records.items():
        kept_by.setdefault(record["spec"]["ip"], []).append(record["spec"]["podName"])
    assert all(len(pods) == 1 for pods in kept_by.values()), kept_by
    assert sorted(record["spec"]["podName"] for record in records.values()) == sorted(after)
    for name, (_uid, ip) in after.items():
        assert kept_by[ip] == [name]
    freed = [item["name"] for item in result["items"] if item["kind"] == "reservation" and item["done"]]
    assert len([label for label in freed if namespace in label]) == len(EXPIRED), result["items"]
    for name, ip in expired_ips.items():
        assert not sandbox.is_specific(SUBNET_6A, ip), "%s's expired IP %s is still reserved" % (name, ip)
    assert not any(sandbox.eni_exists(eni) for eni in expired_enis)
    assert _held_twice(emulator) == {}
    _audit_clean(playbook, namespace, [ip for _uid, ip in after.values()] + list(expired_ips.values()))
