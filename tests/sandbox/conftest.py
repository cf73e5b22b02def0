"""Fixtures for tests that need the real local control plane (one per pytest session)."""

import time
import uuid

import pytest
from kubernetes import client, config

from sandbox.controlplane import cluster


@pytest.fixture(scope="session")
def sandbox_state():
    """Bring the sandbox up once (or reuse a running one) and stop it afterwards if we started it."""
    was_running = cluster.running(cluster.read_state())
    state = cluster.up()
    yield state
    if not was_running:
        cluster.down()


@pytest.fixture(scope="session")
def kube(sandbox_state):
    return config.new_client_from_config(config_file=sandbox_state["kubeconfig"])


@pytest.fixture(scope="session")
def core(kube):
    return client.CoreV1Api(kube)


@pytest.fixture()
def namespace(core):
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


def _wait_for(what, predicate, timeout=60.0, interval=0.25):
    """Poll predicate until it returns something truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="session")
def wait_for():
    return _wait_for
