"""Fixtures for the fixed IP modules: the local sandbox (real kube-apiserver, the KSYUN emulator, the node agent),
a namespace per test whose cloud leftovers are freed afterwards, and a runner that plays tasks with the real
``ansible-playbook`` and returns each task's result with the emulator's read and write counts it caused.

Set KSYUN_KCE_SANDBOX_DIR to keep this sandbox apart from others running on the same machine.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from sandbox.controlplane import cluster
from sandbox.ksyun_emulator.admin_client import AdminClient
from sandbox.paths import collections_root

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import DEFAULT_NAME, DEFAULT_NAMESPACE, config_map_data
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient

from fixed_ip_sandbox import ACCESS_KEY_ID, CHOSEN_IPS, COUNTERS, REGION, SANDBOX_SETTINGS, SECRET_ACCESS_KEY, SUBNET_6A, Step

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def _delta(after, before):
    return {key: after.get(key, 0) - before.get(key, 0) for key in after if after.get(key, 0) != before.get(key, 0)}


@pytest.fixture(scope="session")
def sandbox_state():
    """Bring the sandbox up once (or reuse a running one) and stop it afterwards if this session started it."""
    was_running = cluster.running(cluster.read_state())
    state = cluster.up()
    yield state
    if not was_running:
        cluster.down()


@pytest.fixture(scope="session")
def kube(sandbox_state):
    return config.new_client_from_config(config_file=sandbox_state["kubeconfig"])


@pytest.fixture(scope="session")
def dyn(kube):
    return dynamic.DynamicClient(kube)


@pytest.fixture(scope="session")
def emulator_url(sandbox_state):
    return "http://" + sandbox_state["ksyun_endpoint"]


@pytest.fixture(scope="session")
def emulator(emulator_url):
    return AdminClient(emulator_url)


@pytest.fixture(scope="session")
def ksyun(emulator_url):
    """A cloud client on the sandbox emulator, for setting up and checking what the modules did."""
    return KsyunClient(access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY, region=REGION, endpoint=emulator_url)


def _established(ext, name):
    try:
        conditions = ext.read_custom_resource_definition(name).status.conditions or []
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return any(c.type == "Established" and c.status == "True" for c in conditions)


@pytest.fixture(scope="session")
def vpc_cni(kube, wait_for):
    """The default-group CRDs and the cluster configuration ConfigMap, created if the sandbox has none yet."""
    ext, core = client.ApiextensionsV1Api(kube), client.CoreV1Api(kube)
    for kind in sorted(KINDS):
        try:
            ext.create_custom_resource_definition(crd(kind))
        except ApiException as exc:
            if exc.status != 409:
                raise
        wait_for("CRD of %s Established" % kind, lambda k=kind: _established(ext, crd(k)["metadata"]["name"]))
    body = {"metadata": {"name": DEFAULT_NAME, "namespace": DEFAULT_NAMESPACE}, "data": config_map_data(SANDBOX_SETTINGS)}
    try:
        core.create_namespaced_config_map(DEFAULT_NAMESPACE, body)
    except ApiException as exc:
        if exc.status != 409:
            raise
    return SANDBOX_SETTINGS


def _records(dyn, kind, namespace=None):
    try:
        return dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).get(namespace=namespace).to_dict()["items"]
    except Exception:  # pylint: disable=broad-except  # CRDs gone: nothing kept
        return []


def free_cloud_leftovers(dyn, ksyun, namespace):
    """Delete the namespace's records, then free what they kept (record first, as the product FAQ's manual reclaim does)."""
    for kind in sorted(KINDS):
        for item in _records(dyn, kind, namespace):
            dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).delete(namespace=namespace, name=item["metadata"]["name"])
            spec = item.get("spec") or {}
            if kind == "PodEniIP" and spec.get("ip") and spec.get("subnetId"):
                ksyun.release_private_ip_reservation(spec["subnetId"], spec["ip"])
            eni = ksyun.get_network_interface(spec["eniId"]) if kind == "PodEni" and spec.get("eniId") else None
            if eni is not None and not eni.get("InstanceId"):
                ksyun.delete_network_interface(spec["eniId"])


def release_unrecorded(dyn, ksyun, emulator, subnet_id, ips):
    """Unreserve ips that a late release of an earlier run reserved again after its record was gone."""
    recorded = {(item.get("spec") or {}).get("ip") for item in _records(dyn, "PodEniIP")}
    attributes = emulator.state()["ip_attributes"].get(subnet_id) or {}
    for ip in ips:
        if ip not in recorded and (attributes.get(ip) or {}).get("allocate_status") == "specific":
            ksyun.release_private_ip_reservation(subnet_id, ip)


@pytest.fixture
def namespace(kube, dyn, ksyun, emulator, vpc_cni):
    """A fresh namespace; afterwards its records' cloud reservations are freed and the namespace deleted."""
    release_unrecorded(dyn, ksyun, emulator, SUBNET_6A, CHOSEN_IPS)
    name = "fip-%s" % uuid.uuid4().hex[:8]
    core = client.CoreV1Api(kube)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    free_cloud_leftovers(dyn, ksyun, name)
    core.delete_namespace(name)


def wait_until_quiet(kube, emulator, wait_for, settle=0.5):
    """Wait until no pod is terminating and the cloud sees no writes for settle seconds (a release of an earlier
    test would otherwise be counted as this test's writes)."""
    core = client.CoreV1Api(kube)

    def quiet():
        if any(pod.metadata.deletion_timestamp for pod in core.list_pod_for_all_namespaces().items):
            return False
        before = emulator.counters()["total_writes"]
        time.sleep(settle)
        return emulator.counters()["total_writes"] == before

    wait_for("no pod terminating and no cloud writes", quiet, timeout=60.0)


@pytest.fixture
def playbook(sandbox_state, kube, emulator, emulator_url, wait_for, tmp_path):
    """``playbook(tasks, env=None) -> {task name: Step}`` (env value None unsets it): one ansible-playbook run, JSON output, counters around each task."""

    def run(tasks, env=None):
        wait_until_quiet(kube, emulator, wait_for)
        names = [task["name"] for task in tasks]
        assert len(set(names)) == len(names), "task names must be unique: %s" % names
        body = []
        for task in tasks:
            body.append(task)
            body.append({"name": "counters after " + task["name"], "ansible.builtin.set_fact": {"counters_after": COUNTERS}})
        play = [{"name": "fixed ip", "hosts": "localhost", "gather_facts": False, "vars": {"emulator_url": emulator_url},
                 "tasks": [{"name": "counters before", "ansible.builtin.set_fact": {"counters_after": COUNTERS}}] + body}]
        path = tmp_path / ("playbook-%d.yml" % len(list(tmp_path.glob("playbook-*.yml"))))
        path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_", "K8S_AUTH_"))}
        environment.update({
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_PIPELINING": "True",
            "K8S_AUTH_KUBECONFIG": sandbox_state["kubeconfig"],
            "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "KSYUN_REGION": REGION,
            "KSYUN_ENDPOINT": emulator_url,
        })
        environment.update(env or {})
        environment = {k: v for k, v in environment.items() if v is not None}  # None in env: leave the variable unset
        proc = subprocess.run([str(ANSIBLE_PLAYBOOK), "--diff", str(path)], cwd=tmp_path, env=environment, capture_output=True,
                              text=True, timeout=300, check=False)
        assert SECRET_ACCESS_KEY not in proc.stdout + proc.stderr, "the secret key leaked into the output"
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            pytest.fail("ansible-playbook did not print JSON (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        results, counters = {}, []
        for entry in report["plays"][0]["tasks"]:
            host = entry["hosts"].get("localhost", {})
            if entry["task"]["name"].startswith("counters "):
                counters.append(host.get("ansible_facts", {}).get("counters_after", {}).get("counters", {}))
            else:
                results[entry["task"]["name"]] = host
        assert len(counters) == len(tasks) + 1, "a task did not run (did one fail without ignore_errors?):\n%s" % proc.stdout[-3000:]
        steps = {}
        for name, before, after in zip(names, counters, counters[1:]):
            steps[name] = Step(name, results[name], _delta(after["reads"], before["reads"]), _delta(after["writes"], before["writes"]))
        return steps

    return run


def _wait_for(what, predicate, timeout=60.0, interval=0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


@pytest.fixture(scope="session")
def wait_for():
    return _wait_for
