"""Fixtures of every test on the local sandbox (real kube-apiserver, KSYUN emulator, node agent), one per pytest session.

Loaded for all of tests/ by tests/conftest.py. Set KSYUN_KCE_SANDBOX_DIR to keep this sandbox apart from others
running on the same machine.
"""

import time

import pytest
from kubernetes import config

from sandbox.controlplane import cluster as sandbox_cluster


def wait_until(what, predicate, timeout=60.0, interval=0.25):
    """Poll predicate until it returns something truthy, and return that; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def sandbox_state():
    """Bring the sandbox up once (or reuse a running one) and stop it afterwards if this session started it."""
    was_running = sandbox_cluster.running(sandbox_cluster.read_state())
    state = sandbox_cluster.up()
    yield state
    if not was_running:
        sandbox_cluster.down()


@pytest.fixture(scope="session")
def kube(sandbox_state):
    return config.new_client_from_config(config_file=sandbox_state["kubeconfig"])


@pytest.fixture(scope="session")
def wait_for():
    """``wait_for(what, predicate, timeout=60.0, interval=0.25)``: see wait_until."""
    return wait_until
