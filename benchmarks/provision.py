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

import sys
import time

from kubernetes import client, config

from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import DEFAULT_NAMESPACE, lease_name
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.ksyun_emulator import Emulator

from . import reclaim
from .common import Row, gone
from .playbook import cluster_config_map, run_playbook, task_results

GROUP = "provision-bench.ksyun.com"
CONFIG_MAP = "vpc-cni-bench"
MUTATING = ("POST", "PUT", "PATCH", "DELETE")


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


class Run:
    """One N: the reclaim benchmark's Bench in this benchmark's group, the ConfigMap, an emulator; close() removes all."""

    def __init__(self, api, kubeconfig, pids, size, prefix="pbench"):
        self.api, self.kubeconfig, self.size = api, kubeconfig, size
        self.bench = reclaim.Bench(api, pids, group=GROUP, prefix=prefix)
        self.core = client.CoreV1Api(api)
        self.core.create_namespaced_config_map(
            self.bench.namespaces[0],
            cluster_config_map(self.bench.namespaces[0], CONFIG_MAP, GROUP, reclaim.settings()),
        )
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
        """(seconds, details) of one ansible-playbook run; details: calls by kind, memory, changed tasks."""
        server_before = reclaim.apiserver_requests(self.api, GROUP)
        self.emulator.counters.reset()
        start = time.perf_counter()
        report, memory = run_playbook(
            playbook(self.bench.namespaces[0], looped),
            self.kubeconfig,
            self.emulator.url,
            reclaim.REGION,
            extra_vars={"reservations": self.reservations},
            what="pre-provision playbook",
        )
        seconds = time.perf_counter() - start
        counts = self.emulator.counters.as_dict()
        server = reclaim.apiserver_requests(self.api, GROUP)
        server.subtract(server_before)
        kube = dict(sorted((+server).items()))
        results = task_results(report, "reserve each" if looped else "reserve all")
        details = {
            "api_reads": dict(sorted(counts["reads"].items())),
            "api_writes": dict(sorted(counts["writes"].items())),
            "apiserver_metrics": kube,
            "k8s_writes": sum(n for kind, n in kube.items() if kind.startswith(MUTATING)),
            **memory,
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
