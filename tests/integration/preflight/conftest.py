"""Fixtures for the preflight playbook and the multus role's ``auto``: a bare sandbox of their own (control plane, KSYUN
emulator and node agent, no add-on: a new KCE cluster before the roles ran), the session's sandbox with the add-ons
(tests/integration/roles/conftest.py, loaded here under another name), and runners of the real ``ansible-playbook``
against either that count what the run wrote to the cloud (the emulator's counters of the tests' access key) and to
the cluster (the kube-apiserver's own request counts, tests/apiserver_requests.py).

Set KSYUN_KCE_SANDBOX_DIR to keep the session's sandbox apart from others running on the same machine.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from kubernetes import config, dynamic

from playbook_runner import ansible_playbook_json
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.ksyun_emulator.admin_client import AdminClient

_ROLES = Path(__file__).resolve().parents[1] / "roles"


def _roles_conftest():
    name = "roles_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, _ROLES / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_SHARED = _roles_conftest()
Run = _SHARED.Run
ansible = _SHARED.ansible
sandbox_environment = _SHARED.sandbox_environment
emulator = _SHARED.emulator
emulator_url = _SHARED.emulator_url
dyn = _SHARED.dyn
SECRET_ACCESS_KEY = _SHARED.SECRET_ACCESS_KEY


@pytest.fixture(scope="session")
def bare_sandbox(tmp_path_factory):
    """A bare sandbox of this suite's own, in a folder of its own; stopped at the end of the session."""
    root = tmp_path_factory.mktemp("bare-sandbox")
    state = sandbox_cluster.up(root=root, addons=False)
    yield state
    sandbox_cluster.down(root=root)


@pytest.fixture(scope="session")
def bare_kube(bare_sandbox):
    return config.new_client_from_config(config_file=bare_sandbox["kubeconfig"])


@pytest.fixture(scope="session")
def bare_dyn(bare_kube):
    return dynamic.DynamicClient(bare_kube)


@pytest.fixture(scope="session")
def bare_emulator(bare_sandbox):
    return AdminClient("http://" + bare_sandbox["ksyun_endpoint"])


@pytest.fixture
def bare_ansible(bare_sandbox, tmp_path):
    """``bare_ansible(target, args=(), env=None) -> Run`` on the bare sandbox (its K8S_AUTH_* and KSYUN_*)."""

    def run(target, args=(), env=None):
        environment = sandbox_environment(bare_sandbox, "http://" + bare_sandbox["ksyun_endpoint"], env)
        proc, report = ansible_playbook_json(str(target), tmp_path, environment, SECRET_ACCESS_KEY, args, timeout=600)
        return Run(proc, report)

    return run
