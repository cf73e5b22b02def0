"""Playbooks that run the collection's roles with the real ``ansible-playbook`` against the session's sandbox.

``play(tasks, vars)`` writes one play (localhost, the sandbox's K8S_AUTH_* / KSYUN_* environment) and runs it;
``unchanged`` snapshots what a refused run must leave alone: the emulator's write counters and the resourceVersion of
the cluster objects the roles write.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from kubernetes import dynamic
from kubernetes.client.rest import ApiException

from sandbox.ksyun_emulator.admin_client import AdminClient
from sandbox.paths import collections_root

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# What the sandbox's topology (sandbox/topologies/default.yml) gives the vpc_cni role.
SANDBOX_VPC_CNI = {
    "vpc_cni_cluster_name": "sandbox",
    "vpc_cni_security_group_ids": ["5f2c7a10-0003-4a6e-9c1b-000000000001"],
    "vpc_cni_pod_subnets": {
        "cn-beijing-6a": ["5f2c7a10-0002-4a6e-9c1b-000000000001"],
        "cn-beijing-6b": ["5f2c7a10-0002-4a6e-9c1b-000000000002"],
    },
}
# (apiVersion, kind, namespace, name) of the objects the add-on roles write.
WATCHED = [
    ("v1", "ConfigMap", "kube-system", "ksyun-vpc-cni"),
    ("apps/v1", "DaemonSet", "kube-system", "ksyun-vpc-cni"),
    ("apps/v1", "DaemonSet", "kube-system", "kube-multus-ds"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "podeniips.k8s.ksyun.com"),
]


@dataclass
class Run:
    rc: int
    output: str

    @property
    def failed(self) -> bool:
        return self.rc != 0


@pytest.fixture(scope="session")
def sandbox_env(sandbox_state):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "K8S_AUTH_", "ANSIBLE_"))}
    env.update(
        K8S_AUTH_KUBECONFIG=sandbox_state["kubeconfig"],
        KSYUN_ENDPOINT="http://" + sandbox_state["ksyun_endpoint"],
        KSYUN_REGION="cn-beijing-6",
        KSYUN_ACCESS_KEY_ID="roles-test-access-key",
        KSYUN_SECRET_ACCESS_KEY="roles-test-secret-key-not-real",
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    # Keep the variable ansible-core's AnsiballZ coverage extension reads (hack/run_pytest.py sets it).
    if "_ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG" in os.environ:
        env["_ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG"] = os.environ["_ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG"]
    return env


@pytest.fixture
def play(sandbox_env, tmp_path, addons):
    def run(tasks, variables=None, env=None, args=()):
        playbook = [
            {
                "name": "roles under test",
                "hosts": "localhost",
                "connection": "local",
                "gather_facts": False,
                "vars": variables or {},
                "tasks": tasks,
            }
        ]
        path = tmp_path / "play.yml"
        path.write_text(yaml.safe_dump(playbook, sort_keys=False))
        proc = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(path), *args],
            env=dict(sandbox_env, **(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=900,
        )
        return Run(proc.returncode, proc.stdout)

    return run


@pytest.fixture(scope="session")
def addons(sandbox_env, tmp_path_factory):
    """multus and VPC-CNI as the sandbox runs them (installed by the roles; a no-op when they are there already)."""
    path = tmp_path_factory.mktemp("addons") / "addons.yml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "name": "add-ons",
                    "hosts": "localhost",
                    "connection": "local",
                    "gather_facts": False,
                    "vars": SANDBOX_VPC_CNI,
                    "roles": ["ksyun.kce.multus", "ksyun.kce.vpc_cni"],
                }
            ]
        )
    )
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(path)],
        env=sandbox_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.fixture(scope="session")
def emulator(sandbox_state):
    return AdminClient("http://" + sandbox_state["ksyun_endpoint"])


@pytest.fixture(scope="session")
def dyn(kube):
    return dynamic.DynamicClient(kube)


def _versions(dyn):
    out = {}
    for api_version, kind, namespace, name in WATCHED:
        try:
            obj = dyn.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace)
            out[(kind, namespace, name)] = obj.metadata.resourceVersion
        except ApiException as err:
            if err.status != 404:
                raise
            out[(kind, namespace, name)] = None
    return out


@pytest.fixture
def unchanged(dyn, emulator):
    """Call it after a refused run: asserts no cloud write and no change to the add-on objects since the test began."""
    before = _versions(dyn)
    emulator.reset_counters()

    def check():
        writes = emulator.counters()["writes"]
        assert not writes, "the refused run wrote to the cloud: %s" % json.dumps(writes)
        assert _versions(dyn) == before, "the refused run changed cluster objects"

    return check
