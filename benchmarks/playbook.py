"""One ansible-playbook run against the sandbox's apiserver and an in-process emulator, with its memory measured.

The playbook runs under a small wrapper process, so that ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exits is
the largest resident set of one process of that run alone (ansible-playbook or a module's process); a thread also
samples the summed PSS (resident memory, pages shared between processes counted once) of the wrapper's process tree
every 0.1 s (Linux /proc). Used by the pre-provision benchmark and by the reclaim/audit benchmark's playbook rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from sandbox.paths import collections_root

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
WRAPPER = (
    "import json, resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    json.dump({'rc': code, 'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, out)\n"
    "sys.exit(code)\n"
)
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree_memory(root):
    """Summed proportional memory (bytes, PSS) of the processes below pid root, from /proc (0 where there is none)."""
    parents = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as handle:
                parents[int(entry)] = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    below, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in below:
                below.add(child)
                todo.append(child)
    return sum(_pss(pid) for pid in below)


def _pss(pid):
    """Proportional set size of pid in bytes (a forked worker's pages shared with its parent count once), else RSS."""
    try:
        with open("/proc/%d/smaps_rollup" % pid, encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    try:
        with open("/proc/%d/statm" % pid, encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


class Sampler:
    """The peak of tree_memory(pid) while a process runs, sampled every interval seconds."""

    def __init__(self, pid, interval=0.1):
        self.pid, self.interval, self.peak = pid, interval, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.wait(self.interval):
            self.peak = max(self.peak, tree_memory(self.pid))

    def finish(self):
        self.stop.set()
        self.thread.join()
        return self.peak


def cluster_config_map(namespace, name, group, settings):
    """The cluster configuration ConfigMap the fixed-IP modules read (cluster_config=<namespace>/<name>)."""
    return {
        "metadata": {"name": name, "namespace": namespace},
        "data": {
            "clusterName": settings.cluster_name,
            "securityGroupIds": json.dumps(list(settings.security_group_ids)),
            "podSubnets": json.dumps({zone: list(ids) for zone, ids in settings.pod_subnets.items()}),
            "ipRetention": "never",
            "crdGroup": group,
        },
    }


def environment(tmp, kubeconfig, endpoint, region):
    """ansible-playbook's environment: this checkout's collection, the json callback, the sandbox and the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_", "K8S_AUTH_"))}
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
            "ANSIBLE_LOCAL_TEMP": str(Path(tmp) / "ansible-tmp"),
            "ANSIBLE_NOCOLOR": "1",
            "K8S_AUTH_KUBECONFIG": kubeconfig,
            "KSYUN_ACCESS_KEY_ID": "bench",
            "KSYUN_SECRET_ACCESS_KEY": "bench",
            "KSYUN_REGION": region,
            "KSYUN_ENDPOINT": endpoint,
        }
    )
    return env


def run_playbook(plays, kubeconfig, endpoint, region, extra_vars=None, what="playbook"):
    """(report of the json callback, memory) of one ansible-playbook run; RuntimeError with its output if it fails.

    memory: ``max_rss_one_process_mib`` (the largest process of the run) and ``peak_tree_pss_mib`` (its process tree).
    """
    with tempfile.TemporaryDirectory(prefix="bench-play-") as tmp:
        book, usage = Path(tmp) / "play.yml", Path(tmp) / "rusage.json"
        book.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
        argv = [sys.executable, "-c", WRAPPER, str(usage), str(ANSIBLE_PLAYBOOK), str(book)]
        if extra_vars is not None:
            extra = Path(tmp) / "vars.json"
            extra.write_text(json.dumps(extra_vars), encoding="utf-8")
            argv += ["-e", "@" + str(extra)]
        env = environment(tmp, kubeconfig, endpoint, region)
        with subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            sampler = Sampler(proc.pid)
            out, err = proc.communicate()
        peak = sampler.finish()
        rusage = json.loads(usage.read_text(encoding="utf-8")) if usage.exists() else {}
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    if proc.returncode != 0 or report is None:
        raise RuntimeError(
            "the %s failed (rc %d):\n%s\n%s"
            % (what, proc.returncode, out.decode(errors="replace")[-3000:], err.decode(errors="replace")[-3000:])
        )
    memory = {
        "max_rss_one_process_mib": round(rusage.get("maxrss_kib", 0) / 1024, 1),
        "peak_tree_pss_mib": round(peak / 2**20, 1),
    }
    return report, memory


def task_results(report, name):
    """The json callback's results of the task called name on localhost (one per item of a loop, else the one)."""
    for task in report["plays"][0]["tasks"]:
        if task["task"]["name"] == name:
            host = task["hosts"]["localhost"]
            return host.get("results") or [host]
    raise RuntimeError("the playbook ran no task %r" % name)
