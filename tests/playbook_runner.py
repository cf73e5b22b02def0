"""One ``ansible-playbook`` run of module tasks against the KSYUN emulator, with the API reads and writes of each task.

Shared by tests/integration (in-process emulator) and tests/integration/fixed_ip (the sandbox's emulator).
"""

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml

from sandbox.paths import collections_root

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# counters_query: "" for every call, or "?caller=<access key id>" for the calls of the modules under test only.
COUNTERS = (
    "{{ lookup('ansible.builtin.url', emulator_url ~ '/_emulator/counters' ~ counters_query, use_proxy=false,"
    " split_lines=false) | from_json }}"
)


class Step:
    """One module task of a playbook: its result plus the API reads and writes (by action) it caused."""

    def __init__(self, name, result, reads, writes):
        self.name = name
        self.result = result
        self.reads = reads
        self.writes = writes

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    @property
    def msg(self):
        return self.result.get("msg", "")

    @property
    def diff(self):
        return self.result.get("diff")

    @property
    def total_writes(self):
        return sum(self.writes.values())

    @property
    def is_noop(self):
        """A rerun that did nothing: it succeeded, reported no change and sent no mutating call."""
        return not self.failed and not self.changed and self.total_writes == 0

    def __repr__(self):
        return "Step(%r, failed=%r, changed=%r, writes=%r, msg=%r)" % (
            self.name,
            self.failed,
            self.changed,
            self.writes,
            self.msg,
        )


def delta(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def playbook_environment(tmp_path, env):
    """The environment of an ansible-playbook run: this collection, JSON output, the caller's environment without its
    KSYUN_*, ANSIBLE_* and K8S_AUTH_* variables, then env (a value None leaves it unset)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_", "K8S_AUTH_"))}
    environment.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
        }
    )
    environment.update(env)
    return {k: v for k, v in environment.items() if v is not None}


def ansible_playbook_json(target, tmp_path, env, secret_access_key, args=(), timeout=300):
    """``(process, report)`` of ``ansible-playbook [args] target`` with the JSON callback, run in tmp_path with this
    collection, the caller's environment without its KSYUN_*, ANSIBLE_* and K8S_AUTH_* variables, and env (a value
    None leaves it unset); fails the test when the secret key shows in the output or the output is not JSON."""
    environment = playbook_environment(tmp_path, env)
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), *args, str(target)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert secret_access_key not in proc.stdout + proc.stderr, "the secret key leaked into the output"
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        pytest.fail(
            "ansible-playbook did not print JSON (rc %d):\n%s\n%s"
            % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])
        )
    return proc, report


def run_playbook(tasks, tmp_path, emulator_url, secret_access_key, env, module_defaults=None, args=(), caller=None):
    """``{task name: Step}`` of one run; env: the variables to set (KSYUN_*, ANSIBLE_* and K8S_AUTH_* of the caller are
    never passed on; a value None leaves it unset); args: extra ansible-playbook arguments such as ``--diff``;
    caller: count only the calls signed with this access key id (on an emulator others call too), else every call."""
    names = [task["name"] for task in tasks]
    assert len(set(names)) == len(names), "task names must be unique: %s" % names
    body = [{"name": "counters before", "ansible.builtin.set_fact": {"counters_after": COUNTERS}}]
    for task in tasks:
        body.append(task)
        body.append(
            {"name": "counters after " + task["name"], "ansible.builtin.set_fact": {"counters_after": COUNTERS}}
        )
    play = [
        {
            "name": "integration",
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "emulator_url": emulator_url,
                "counters_query": "" if caller is None else "?" + urllib.parse.urlencode({"caller": caller}),
            },
            "module_defaults": module_defaults or {},
            "tasks": body,
        }
    ]
    path = tmp_path / ("playbook-%d.yml" % len(list(tmp_path.glob("playbook-*.yml"))))
    path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    proc, report = ansible_playbook_json(path, tmp_path, env, secret_access_key, args)
    results, counters = {}, []
    for entry in report["plays"][0]["tasks"]:
        host = entry["hosts"].get("localhost", {})
        if entry["task"]["name"].startswith("counters "):
            counters.append(host.get("ansible_facts", {}).get("counters_after", {}).get("counters", {}))
        else:
            results[entry["task"]["name"]] = host
    assert len(counters) == len(tasks) + 1, "a task did not run (did one fail without ignore_errors?):\n%s\n%s" % (
        proc.stdout[-3000:],
        proc.stderr[-3000:],
    )
    return {
        name: Step(
            name, results[name], delta(after["reads"], before["reads"]), delta(after["writes"], before["writes"])
        )
        for name, before, after in zip(names, counters, counters[1:])
    }
