"""Fixtures: an in-process KSYUN emulator on a free loopback port, and the collection's client pointed at it."""

import copy
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy
from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.admin_client import AdminClient

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPOLOGY = REPO / "sandbox" / "topologies" / "default.yml"
_TOPOLOGY = yaml.safe_load(DEFAULT_TOPOLOGY.read_text(encoding="utf-8"))

ACCESS_KEY_ID = "AKLTcontracttest01"
# Distinctive so a leak check can search every output for it.
SECRET_ACCESS_KEY = "SKcontract-9f3e1b7d-never-print-me"
FAST_SETTINGS = {"transition_seconds": 0.05}

IDS = SimpleNamespace(
    region="cn-beijing-6",
    vpc="5f2c7a10-0001-4a6e-9c1b-000000000001",
    subnet_6a="5f2c7a10-0002-4a6e-9c1b-000000000001",
    subnet_6b="5f2c7a10-0002-4a6e-9c1b-000000000002",
    subnet_small="5f2c7a10-0002-4a6e-9c1b-000000000003",
    subnet_reserve="5f2c7a10-0002-4a6e-9c1b-000000000004",
    sg="5f2c7a10-0003-4a6e-9c1b-000000000001",
    sg_pods="5f2c7a10-0003-4a6e-9c1b-000000000002",
    node_47="5f2c7a10-0004-4a6e-9c1b-000000000047",
    node_48="5f2c7a10-0004-4a6e-9c1b-000000000048",
    node_tiny="5f2c7a10-0004-4a6e-9c1b-000000000049",
    node_6b="5f2c7a10-0004-4a6e-9c1b-000000001020",
    eni_47="5f2c7a10-0005-4a6e-9c1b-000000000047",
    eni_tiny="5f2c7a10-0005-4a6e-9c1b-000000000049",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "emulator_settings(**settings): behaviour settings for the `emulator` fixture")


@pytest.fixture
def ids():
    return IDS


@pytest.fixture
def topology():
    """A fresh copy of sandbox/topologies/default.yml that a test may change before starting an emulator."""
    return copy.deepcopy(_TOPOLOGY)


@pytest.fixture
def start_emulator(topology):
    """Factory: ``start_emulator(topology=None, **settings) -> Emulator`` (stopped at teardown)."""
    started = []

    def start(topology_override=None, state_file=None, faults=None, **settings):
        emu = Emulator(
            topology_override or topology,
            settings=dict(FAST_SETTINGS, **settings),
            faults=faults,
            state_file=state_file,
        )
        emu.start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture
def emulator(request, start_emulator):
    marker = request.node.get_closest_marker("emulator_settings")
    return start_emulator(**(marker.kwargs if marker else {}))


@pytest.fixture
def make_client():
    """Factory: ``make_client(emu, **kwargs) -> KsyunClient`` with tiny retry delays."""

    def make(emu, **kwargs):
        kwargs.setdefault("retry", RetryPolicy(attempts=4, base_delay=0.001, max_delay=0.01, seed=1))
        kwargs.setdefault("endpoint", emu.endpoint)
        kwargs.setdefault("scheme", "http")
        return KsyunClient(ACCESS_KEY_ID, SECRET_ACCESS_KEY, IDS.region, **kwargs)

    return make


@pytest.fixture
def client(emulator, make_client):
    return make_client(emulator)


@pytest.fixture
def admin(emulator):
    return AdminClient(emulator.url)


@pytest.fixture
def wait_attached(client):
    def wait(eni_id, instance_id=None):
        return client.wait_network_interface(eni_id, instance_id, timeout=5, interval=0.01)

    return wait
