"""Fixtures for the role tests: the sandbox, its emulator and a fresh namespace per test, as tests/integration/fixed_ip
defines them (its conftest is loaded here under another name, so both suites share one definition), and a runner that
plays one role or playbook with the real ``ansible-playbook``.

Set KSYUN_KCE_SANDBOX_DIR to keep this sandbox apart from others running on the same machine.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import yaml
from kubernetes.client.rest import ApiException

from playbook_runner import ansible_playbook_json
from sandbox.addons import addons_vars
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY

_FIXED_IP = Path(__file__).resolve().parents[1] / "fixed_ip"
if str(_FIXED_IP) not in sys.path:
    sys.path.insert(0, str(_FIXED_IP))  # fixed_ip_sandbox, which the fixed_ip conftest imports


def _fixed_ip_conftest():
    name = "fixed_ip_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _FIXED_IP / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_SHARED = _fixed_ip_conftest()
sandbox_environment = sys.modules["fixed_ip_sandbox"].sandbox_environment
dyn = _SHARED.dyn
emulator_url = _SHARED.emulator_url
emulator = _SHARED.emulator
ksyun = _SHARED.ksyun
vpc_cni = _SHARED.vpc_cni
baseline = _SHARED.baseline
namespace = _SHARED.namespace
wait_until_quiet = _SHARED.wait_until_quiet
ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION = _SHARED.ACCESS_KEY_ID, _SHARED.SECRET_ACCESS_KEY, _SHARED.REGION


class Run:
    """One ansible-playbook run: its exit status, the results of every task by name (the last one of a name wins; a
    looped task's items are in its ``results``), and the message of the task that failed last."""

    def __init__(self, proc, report):
        self.rc = proc.returncode
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.results, self.failures = {}, []
        for play in report.get("plays") or []:
            for entry in play["tasks"]:
                result = entry["hosts"].get("localhost", {})
                self.results[entry["task"]["name"]] = result
                if result.get("failed"):
                    self.failures.append((entry["task"]["name"], result.get("msg", "")))

    def task(self, name):
        """The result of the task of that name, also when it ran in a role (named "<role> : <name>")."""
        found = [result for key, result in self.results.items() if key == name or key.endswith(" : " + name)]
        assert found, "no task %r ran: %s" % (name, sorted(self.results))
        return found[-1]

    @property
    def msg(self):
        return self.failures[-1][1] if self.failures else ""

    def __repr__(self):
        return "Run(rc=%r, failures=%r)" % (self.rc, self.failures)


@pytest.fixture
def ansible(sandbox_state, kube, emulator, emulator_url, wait_for, tmp_path):
    """``ansible(plays, args=(), env=None) -> Run``: plays is a list of plays (or a path of a playbook), run with the
    sandbox's K8S_AUTH_* and KSYUN_* environment updated by env (None unsets a variable), JSON output; waits first
    until no pod is terminating and the cloud is quiet."""

    def run(plays, args=(), env=None):
        wait_until_quiet(kube, emulator, wait_for)
        if isinstance(plays, (str, Path)):
            target = str(plays)
        else:
            path = tmp_path / ("playbook-%d.yml" % len(list(tmp_path.glob("playbook-*.yml"))))
            path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
            target = str(path)
        environment = sandbox_environment(sandbox_state, emulator_url, env)
        proc, report = ansible_playbook_json(target, tmp_path, environment, SECRET_ACCESS_KEY, args, timeout=600)
        return Run(proc, report)

    return run


# What the sandbox gives the vpc_cni role (sandbox/addons.py; the session's sandbox runs the roles with it).
SANDBOX_VPC_CNI = addons_vars(DEFAULT_TOPOLOGY)
# (apiVersion, kind, namespace, name) of the objects the add-on roles write; a refused run leaves them as they were.
ADDON_OBJECTS = [
    ("v1", "ConfigMap", "kube-system", "ksyun-vpc-cni"),
    ("apps/v1", "DaemonSet", "kube-system", "ksyun-vpc-cni"),
    ("apps/v1", "DaemonSet", "kube-system", "kube-multus-ds"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "podeniips.k8s.ksyun.com"),
]


def _versions(dyn):
    out = {}
    for api_version, kind, namespace, name in ADDON_OBJECTS:
        try:
            obj = dyn.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace)
            out[(kind, namespace, name)] = obj.metadata.resourceVersion
        except ApiException as err:
            if err.status != 404:
                raise
            out[(kind, namespace, name)] = None
    return out


@pytest.fixture
def addons_unchanged(dyn, emulator):
    """Call it after a refused run: asserts no cloud write and no change to the add-on objects since the test began."""
    before = _versions(dyn)
    emulator.reset_counters()

    def check():
        writes = emulator.counters()["writes"]
        assert not writes, "the refused run wrote to the cloud: %s" % json.dumps(writes)
        assert _versions(dyn) == before, "the refused run changed the add-on objects"

    return check
