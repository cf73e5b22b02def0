"""Pre-provision at N: ``ksyun.kce.fixed_ip state=reserved`` for N reservations in one task, through the real
ansible-playbook, against the sandbox's apiserver and an in-process emulator; then the same task again (the no-op
rerun); at the smallest N also the naive loop (one looped task per reservation, same module).

Per N: the CRDs in a group of the benchmark's own (``provision-bench.ksyun.com``), four namespaces of its own with
the cluster configuration ConfigMap in the first (crdGroup set to that group), and a fresh emulator with the reclaim
benchmark's topology (a /18 pod subnet, benchmarks/reclaim.py). The N reservations are shared-mode ones
(``{namespace, pod_name, zone}``: the module takes the first free IPs and marks them ``specific``), spread over the
namespaces. Each playbook runs under a small wrapper process, so that ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it
exits is the largest resident set of one process of that run alone (ansible-playbook or its module process); a
thread also samples the summed PSS (resident memory, pages shared between processes counted once) of the
wrapper's process tree every 0.1 s (Linux /proc).

Reads and writes are the KSYUN calls the emulator counted; K8s requests come from the apiserver's metrics (the
benchmark's group and discovery; the subnet Lease and the ConfigMap reads are left out since other clients of the
sandbox make the same kinds of request). The rerun must make no mutating call to either API: the benchmark fails
loudly (``RERUN IS NOT A NO-OP``) otherwise. Everything made here is removed again: records, CRDs, namespaces (with
the ConfigMap), the subnet Lease the module takes in kube-system, the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from kubernetes import client, config

from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import DEFAULT_NAMESPACE, lease_name
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.ksyun_emulator import Emulator
from sandbox.paths import collections_root

from . import reclaim
from .common import Row, gone

GROUP = "provision-bench.ksyun.com"
CONFIG_MAP = "vpc-cni-bench"
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
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


def playbook(namespace, looped):
    """One fixed_ip task over every reservation, or (looped) one task per reservation."""
    common = {"cluster_config": "%s/%s" % (namespace, CONFIG_MAP), "state": "reserved"}
    if looped:
        task = {
            "name": "reserve each",
            "ksyun.kce.fixed_ip": dict(
                common, namespace="{{ item.namespace }}", pod_name="{{ item.pod_name }}", zone="{{ item.zone }}"
            ),
            "loop": "{{ reservations }}",
        }
    else:
        task = {"name": "reserve all", "ksyun.kce.fixed_ip": dict(common, reservations="{{ reservations }}")}
    return [
        {"name": "pre-provision", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}
    ]


def cluster_config_map(namespace):
    settings = reclaim.settings()
    return {
        "metadata": {"name": CONFIG_MAP, "namespace": namespace},
        "data": {
            "clusterName": settings.cluster_name,
            "securityGroupIds": json.dumps(list(settings.security_group_ids)),
            "podSubnets": json.dumps({zone: list(ids) for zone, ids in settings.pod_subnets.items()}),
            "ipRetention": "never",
            "crdGroup": GROUP,
        },
    }


class Run:
    """One N: the reclaim benchmark's Bench in this benchmark's group, the ConfigMap, an emulator; close() removes all."""

    def __init__(self, api, kubeconfig, pids, size, prefix="pbench"):
        self.api, self.kubeconfig, self.size = api, kubeconfig, size
        self.bench = reclaim.Bench(api, pids, group=GROUP, prefix=prefix)
        self.core = client.CoreV1Api(api)
        self.core.create_namespaced_config_map(self.bench.namespaces[0], cluster_config_map(self.bench.namespaces[0]))
        self.emulator = Emulator(reclaim.topology(), settings={"transition_seconds": 0}).__enter__()
        self.reservations = [
            {"namespace": self.bench.namespace_of(index), "pod_name": "web-%d" % index, "zone": reclaim.ZONE}
            for index in range(size)
        ]

    def close(self):
        try:
            self.emulator.__exit__(None, None, None)
            gone(lambda: self.core.delete_namespaced_config_map(CONFIG_MAP, self.bench.namespaces[0]))
            lease = lease_name(reclaim.POD_SUBNET)
            gone(lambda: client.CoordinationV1Api(self.api).delete_namespaced_lease(lease, DEFAULT_NAMESPACE))
        finally:
            self.bench.close()

    def play(self, looped=False):
        """(seconds, details, changed tasks) of one ansible-playbook run; details: calls by kind, memory."""
        with tempfile.TemporaryDirectory(prefix="pbench-") as tmp:
            book, extra, usage = Path(tmp) / "play.yml", Path(tmp) / "vars.json", Path(tmp) / "rusage.json"
            book.write_text(
                yaml.safe_dump(playbook(self.bench.namespaces[0], looped), sort_keys=False), encoding="utf-8"
            )
            extra.write_text(json.dumps({"reservations": self.reservations}), encoding="utf-8")
            env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "ANSIBLE_", "K8S_AUTH_"))}
            env.update(
                {
                    "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
                    "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
                    "ANSIBLE_LOCALHOST_WARNING": "False",
                    "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
                    "ANSIBLE_LOCAL_TEMP": str(Path(tmp) / "ansible-tmp"),
                    "ANSIBLE_NOCOLOR": "1",
                    "K8S_AUTH_KUBECONFIG": self.kubeconfig,
                    "KSYUN_ACCESS_KEY_ID": "bench",
                    "KSYUN_SECRET_ACCESS_KEY": "bench",
                    "KSYUN_REGION": reclaim.REGION,
                    "KSYUN_ENDPOINT": self.emulator.url,
                }
            )
            argv = [sys.executable, "-c", WRAPPER, str(usage), str(reclaim.ANSIBLE_PLAYBOOK), str(book), "-e"]
            argv.append("@" + str(extra))
            server_before = reclaim.apiserver_requests(self.api, GROUP)
            self.emulator.counters.reset()
            start = time.perf_counter()
            with subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
                sampler = Sampler(proc.pid)
                out, err = proc.communicate()
            seconds = time.perf_counter() - start
            peak = sampler.finish()
            counts = self.emulator.counters.as_dict()
            server = reclaim.apiserver_requests(self.api, GROUP)
            rusage = json.loads(usage.read_text(encoding="utf-8")) if usage.exists() else {}
        try:
            report = json.loads(out)
        except ValueError:
            report = None
        if proc.returncode != 0 or report is None:
            raise RuntimeError(
                "the pre-provision playbook failed (rc %d):\n%s\n%s"
                % (proc.returncode, out.decode(errors="replace")[-3000:], err.decode(errors="replace")[-3000:])
            )
        server.subtract(server_before)
        kube = dict(sorted((+server).items()))
        task = report["plays"][0]["tasks"][0]["hosts"]["localhost"]
        results = task.get("results") or [task]
        details = {
            "api_reads": dict(sorted(counts["reads"].items())),
            "api_writes": dict(sorted(counts["writes"].items())),
            "apiserver_metrics": kube,
            "k8s_writes": sum(n for kind, n in kube.items() if kind.startswith(MUTATING)),
            "max_rss_one_process_mib": round(rusage.get("maxrss_kib", 0) / 1024, 1),
            "peak_tree_pss_mib": round(peak / 2**20, 1),
            "changed_tasks": sum(1 for result in results if result.get("changed")),
        }
        return seconds, details

    def records(self):
        return len(self.bench.store.list())


def _row(name, size, seconds, details, note):
    reads, writes = sum(details["api_reads"].values()), sum(details["api_writes"].values())
    note = "; ".join(
        part
        for part in (
            note,
            "max RSS %.0f MiB (one process), peak %.0f MiB (tree PSS)"
            % (details["max_rss_one_process_mib"], details["peak_tree_pss_mib"]),
        )
        if part
    )
    return Row(
        name, size, seconds, reads, writes, kube=sum(details["apiserver_metrics"].values()), note=note, details=details
    )


def _check_noop(details, size):
    if details["changed_tasks"] or details["api_writes"] or details["k8s_writes"]:
        raise RuntimeError(
            "RERUN IS NOT A NO-OP at N=%d: changed tasks %d, KSYUN writes %s, Kubernetes writes %d"
            % (size, details["changed_tasks"], details["api_writes"], details["k8s_writes"])
        )


def run_size(api, state, size, log):
    rows = []
    run = Run(api, state["kubeconfig"], state.get("pids"), size)
    try:
        seconds, details = run.play()
        if run.records() != size or sum(details["api_writes"].values()) < size:
            raise RuntimeError("N=%d: %d records after the task, writes %s" % (size, run.records(), details))
        rows.append(
            _row("pre-provision (fixed_ip state=reserved), one task", size, seconds, details, "%d reserved" % size)
        )
        log("pre-provision N=%d: %.1f s" % (size, seconds))
        seconds, details = run.play()
        _check_noop(details, size)
        rows.append(_row("pre-provision again (no-op)", size, seconds, details, "0 writes"))
        log("pre-provision again N=%d: %.1f s, %d reads" % (size, seconds, sum(details["api_reads"].values())))
    finally:
        run.close()
    return rows


def run_naive(api, state, size, reference, log):
    run = Run(api, state["kubeconfig"], state.get("pids"), size, prefix="pnaive")
    try:
        seconds, details = run.play(looped=True)
        if run.records() != size:
            raise RuntimeError("naive loop N=%d: %d records" % (size, run.records()))
    finally:
        run.close()
    calls = sum(details["api_reads"].values()) + sum(details["api_writes"].values())
    ratio_wall = seconds / reference.seconds
    ratio_calls = calls / max(1, reference.reads + reference.writes)
    details.update({"ratio_wall": round(ratio_wall, 2), "ratio_api_calls": round(ratio_calls, 2)})
    log("pre-provision naive loop N=%d: %.1f s" % (size, seconds))
    note = "%d looped tasks; %.0fx the wall time, %.1fx the API calls of one task" % (size, ratio_wall, ratio_calls)
    return _row("pre-provision naive loop: one task per reservation", size, seconds, details, note)


def run(sizes, naive_sizes, log=lambda line: print(line, file=sys.stderr)):
    """Rows per N; the sandbox is started if needed and then stopped again, everything made here is removed."""
    was_running = sandbox_cluster.running(sandbox_cluster.read_state())
    state = sandbox_cluster.up()
    rows = []
    try:
        api = config.new_client_from_config(config_file=state["kubeconfig"])
        for size in sizes:
            found = run_size(api, state, size, log)
            rows += found
            if size in naive_sizes:
                rows.append(run_naive(api, state, size, found[0], log))
    finally:
        if not was_running:
            sandbox_cluster.down()
    return rows
