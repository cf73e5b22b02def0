"""Fixtures: one in-process KSYUN emulator for the session, reset before every test, and a runner that plays
tasks with the real ``ansible-playbook`` against it and returns each task's result with the API calls it made."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.settings import Settings
from sandbox.paths import collections_root

from kce_cloud import ACCESS_KEY_ID, COUNTERS, FAST, REGION, SECRET_ACCESS_KEY, TOPOLOGY, Cloud, Step, delta

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


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
        names = [t["name"] for t in tasks]
        assert len(set(names)) == len(names), "task names must be unique: %s" % names
        body = []
        for item in tasks:
            body.append(item)
            body.append({"name": "counters after " + item["name"], "ansible.builtin.set_fact": {"counters_after": COUNTERS}})
        playbook = [{
            "name": "integration",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {"emulator_url": emu.url},
            "module_defaults": module_defaults or {},
            "tasks": body,
        }]
        path = tmp_path / ("playbook-%d.yml" % len(list(tmp_path.glob("playbook-*.yml"))))
        path.write_text(yaml.safe_dump(playbook, sort_keys=False), encoding="utf-8")
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_"))}
        environment.update({
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "KSYUN_REGION": REGION,
            "KSYUN_ENDPOINT": emu.url,
        })
        for key, value in (env or {}).items():
            if value is None:
                environment.pop(key, None)
            else:
                environment[key] = value
        emu.counters.reset()
        proc = subprocess.run([str(ANSIBLE_PLAYBOOK), str(path)], cwd=tmp_path, env=environment, capture_output=True, text=True,
                              timeout=300, check=False)
        assert SECRET_ACCESS_KEY not in proc.stdout + proc.stderr, "the secret key leaked into the output"
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            pytest.fail("ansible-playbook did not print JSON (rc %d):\n%s\n%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        results, counters = {}, []
        for entry in report["plays"][0]["tasks"]:
            host = entry["hosts"].get("localhost", {})
            if entry["task"]["name"].startswith("counters after "):
                counters.append(host.get("ansible_facts", {}).get("counters_after", {}).get("counters", {}))
            else:
                results[entry["task"]["name"]] = host
        assert len(counters) == len(tasks), "a counters task did not run:\n%s" % proc.stderr[-3000:]
        steps, before = {}, {"reads": {}, "writes": {}}
        for name, after in zip(names, counters):
            steps[name] = Step(name, results[name], delta(after["reads"], before["reads"]), delta(after["writes"], before["writes"]))
            before = after
        return steps

    return run


@pytest.fixture
def cloud(emu):
    return Cloud(emu)
