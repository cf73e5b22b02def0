"""Fixtures: one in-process KSYUN emulator for the session, reset before every test, and a runner that plays
tasks with the real ``ansible-playbook`` against it and returns each task's result with the API calls it made."""

import pytest
from kce_cloud import ACCESS_KEY_ID, FAST, REGION, SECRET_ACCESS_KEY, TOPOLOGY, Cloud

from playbook_runner import run_playbook
from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.settings import Settings


@pytest.fixture(scope="session")
def emulator():
    emu = Emulator(str(TOPOLOGY), settings=FAST)
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def emu(emulator):
    """The session emulator, back at the topology with default settings, no faults and zero counters."""
    emulator.settings.update(dict(Settings().as_dict(), **FAST))
    emulator.reset()
    return emulator


@pytest.fixture
def play(emu, tmp_path):
    """``play(tasks, module_defaults=None, env=None) -> {task name: Step}``; runs ansible-playbook once."""

    def run(tasks, module_defaults=None, env=None):
        environment = {
            "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "KSYUN_REGION": REGION,
            "KSYUN_ENDPOINT": emu.url,
        }
        environment.update(env or {})
        emu.counters.reset()
        return run_playbook(tasks, tmp_path, emu.url, SECRET_ACCESS_KEY, environment, module_defaults=module_defaults)

    return run


@pytest.fixture
def cloud(emu):
    return Cloud(emu)
