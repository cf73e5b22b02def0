"""Fixtures for the fixed IP modules: the local sandbox (real kube-apiserver, the KSYUN emulator, the node agent),
a namespace per test whose cloud leftovers are freed afterwards, and a runner that plays tasks with the real
``ansible-playbook`` and returns each task's result with the emulator's read and write counts it caused (the calls
signed with the tests' access key, so the node agent's own calls never count)
(sandbox_state, kube and wait_for: tests/fixtures_sandbox.py; the runner: tests/playbook_runner.py).

Set KSYUN_KCE_SANDBOX_DIR to keep this sandbox apart from others running on the same machine.
"""

import importlib.util
import sys
import time
import uuid
from pathlib import Path

import pytest
from fixed_ip_sandbox import (
    ACCESS_KEY_ID,
    CHOSEN_IPS,
    REGION,
    SANDBOX_SETTINGS,
    SECRET_ACCESS_KEY,
    SUBNET_6A,
    sandbox_environment,
)
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    config_map_data,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import RecordConflict, ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from playbook_runner import run_playbook
from sandbox.ksyun_emulator.admin_client import AdminClient


def _sandbox_reset():
    """tests/sandbox/sandbox_reset.py: the baseline these tests share with the sandbox suite (same sandbox, same node agent)."""
    name = "sandbox_reset"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).resolve().parents[2] / "sandbox" / "sandbox_reset.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


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
    return KsyunClient(
        access_key_id=ACCESS_KEY_ID, secret_access_key=SECRET_ACCESS_KEY, region=REGION, endpoint=emulator_url
    )


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
    body = {
        "metadata": {"name": DEFAULT_NAME, "namespace": DEFAULT_NAMESPACE},
        "data": config_map_data(SANDBOX_SETTINGS),
    }
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
    store = ReservationStore(dyn)
    for kind in sorted(KINDS):
        for item in _records(dyn, kind, namespace):
            # The store deletes and then drops the record's finalizer (the cloud side is freed right below); a record the node
            # agent changed meanwhile is read again.
            for _attempt in range(5):
                try:
                    store.delete(store.stored(item, kind))
                    break
                except RecordConflict:
                    current = store.get(store.stored(item, kind).kind, namespace, item["metadata"]["name"])
                    if current is None:
                        break
                    item = current.obj
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


@pytest.fixture(scope="session")
def baseline(kube, emulator, ksyun, wait_for, sandbox_state):
    return _sandbox_reset().Baseline(kube, emulator, ksyun, wait_for, sandbox_state["kubeconfig"])


@pytest.fixture
def namespace(kube, dyn, ksyun, emulator, vpc_cni, baseline):
    """A fresh namespace on the sandbox's baseline (settings, faults, ConfigMap, cordons, add-ons; nothing on the nodes
    that no record keeps); afterwards its records' cloud reservations are freed, the namespace deleted and the
    configuration put back.
    """
    baseline.restore_config()
    baseline.free_cloud()
    release_unrecorded(dyn, ksyun, emulator, SUBNET_6A, CHOSEN_IPS)
    name = "fip-%s" % uuid.uuid4().hex[:8]
    core = client.CoreV1Api(kube)
    core.create_namespace({"metadata": {"name": name}})
    yield name
    free_cloud_leftovers(dyn, ksyun, name)
    core.delete_namespace(name)
    baseline.restore_config()


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
        environment = sandbox_environment(sandbox_state, emulator_url, env)
        # The node agent polls the same emulator (its device plugin): count the calls of the modules under test only.
        return run_playbook(
            tasks, tmp_path, emulator_url, SECRET_ACCESS_KEY, environment, args=("--diff",), caller=ACCESS_KEY_ID
        )

    return run
