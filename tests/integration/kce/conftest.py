"""Fixtures of the KCE module tests: the in-process emulator on the KCE test topology (kce_clusters.py), reset before
every test (the parent conftest's ``emu``, ``play`` and ``cloud`` use it), and, for the kubeconfig, an in-process
emulator that hands out kubeconfigs of the local sandbox's real kube-apiserver.

The emulator runs without the sandbox's platform: a VpcCNI change settles after ``kce_settle_describes``
DescribeClusters answers (call-driven), or fails through a ``platform_reconcile`` a test gives it.
"""

import pytest
from kce_cloud import ACCESS_KEY_ID, FAST, REGION, SECRET_ACCESS_KEY
from kce_clusters import kce_topology

from playbook_runner import run_playbook
from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.settings import Settings


@pytest.fixture(scope="session")
def emulator():
    """Overrides tests/integration's emulator: the same, on the KCE test topology."""
    emu = Emulator(kce_topology(), settings=FAST)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def kubeconfig_emulator(sandbox_state):
    """An in-process emulator whose DownloadClusterConfig hands out kubeconfigs of the sandbox's kube-apiserver."""
    emu = Emulator(kce_topology(), settings=FAST, kubeconfig=sandbox_state["kubeconfig"])
    emu.start()
    yield emu
    emu.stop()


def environment(emu, env=None):
    out = {
        "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "KSYUN_REGION": REGION,
        "KSYUN_ENDPOINT": emu.url,
    }
    out.update(env or {})
    return out


@pytest.fixture
def kplay(kubeconfig_emulator, tmp_path):
    """``kplay(tasks, env=None, settings=None) -> {task name: Step}`` against kubeconfig_emulator (reset first)."""

    def run(tasks, env=None, settings=None):
        kubeconfig_emulator.settings.update(dict(Settings().as_dict(), **FAST, **(settings or {})))
        kubeconfig_emulator.reset()
        return run_playbook(
            tasks, tmp_path, kubeconfig_emulator.url, SECRET_ACCESS_KEY, environment(kubeconfig_emulator, env)
        )

    return run


@pytest.fixture
def platform_emulator(tmp_path):
    """``platform_emulator(reconcile) -> Emulator``: an emulator whose VpcCNI changes are applied by ``reconcile``
    (``(kubeconfig, cluster) -> None``, raising to fail), as the sandbox's platform applies them."""
    started = []

    def start(reconcile):
        emu = Emulator(
            kce_topology(), settings=FAST, platform_kubeconfig=str(tmp_path / "unused"), platform_reconcile=reconcile
        )
        emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()
