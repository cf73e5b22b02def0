"""One shared-mode fixed-IP pod through bind_pod / bind_pod again / release_pod, against the sandbox's apiserver
and a fresh in-process emulator (as tests/sandbox/test_fixed_ip_faults.py drives the flows), with the emulator's
``latency_ms`` at 0 and at a remote-API-like value. Starts the control plane if it is not running (and stops it then).
"""

import statistics
import time
import uuid

from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import ClusterConfig
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator
from sandbox.node_agent.network import pod_network_writer
from sandbox.node_agent.vpc_cni import sandbox_settings

from .common import Row, client_for, gone, wait_for

GROUP = "bench.ksyun.com"
NODE, NODE_IP, INSTANCE = "bench-47", "10.0.0.47", "5f2c7a10-0004-4a6e-9c1b-000000000047"
ANNOTATIONS = {
    "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
    "k8s.ksyun.com/pod-eniip": "true",
    "k8s.ksyun.com/pod-ip-fixed": "true",
}
RESOURCES = {"ksyun/eni-private-ip": "1"}


def _ignore_conflict(call, *args, **kwargs):
    """call(); True when it created the object, False when it existed already."""
    try:
        call(*args, **kwargs)
    except ApiException as exc:
        if exc.status != 409:
            raise
        return False
    return True


class Bench:
    """The records' CRDs in a group of their own and one node no agent runs; one namespace per cycle."""

    def __init__(self, api):
        self.core, self.ext = client.CoreV1Api(api), client.ApiextensionsV1Api(api)
        self.dyn = dynamic.DynamicClient(api)
        # The group is the benchmark's own: close() deletes its CRDs, also those an interrupted earlier run left, so
        # no second PodEni/PodEniIP group stays behind to make `kubectl get podeniip` ambiguous.
        self.crds = [crd(kind, group=GROUP)["metadata"]["name"] for kind in KINDS]
        for kind in KINDS:
            _ignore_conflict(self.ext.create_custom_resource_definition, crd(kind, group=GROUP))
        for kind in KINDS:
            name = crd(kind, group=GROUP)["metadata"]["name"]
            wait_for(
                "CRD %s Established" % name,
                lambda name=name: any(
                    c.type == "Established" and c.status == "True"
                    for c in self.ext.read_custom_resource_definition(name).status.conditions or []
                ),
            )
        _ignore_conflict(
            self.core.create_node,
            {
                "metadata": {"name": NODE, "labels": {"topology.kubernetes.io/zone": "cn-beijing-6a"}},
                "spec": {"providerID": "ksyun://%s" % INSTANCE},
            },
        )
        self.store = ReservationStore(self.dyn, group=GROUP)
        self.config = ClusterConfig(settings=sandbox_settings(DEFAULT_TOPOLOGY), crd_group=GROUP)

    def close(self):
        """The node and the CRDs deleted, and checked gone."""
        gone(lambda: self.core.delete_node(NODE))
        for name in self.crds:
            gone(lambda name=name: self.ext.delete_custom_resource_definition(name))
        wait_for(
            "the benchmark's CRDs gone",
            lambda: all(gone(lambda n=n: self.ext.read_custom_resource_definition(n)) for n in self.crds),
        )

    def cycle(self, emulator):
        """Bind, bind again, release one pod in a new namespace: [(step, seconds, reads, writes)]."""
        namespace = "bench-%s" % uuid.uuid4().hex[:8]
        self.core.create_namespace({"metadata": {"name": namespace}})
        ctx = FlowContext(
            self.dyn,
            client_for(emulator),
            self.config,
            store=self.store,
            lock_namespace=namespace,
            pod_network=pod_network_writer(self.dyn, {NODE: NODE_IP}.get),
            eni_wait_interval=0.02,
            retry_delay=0.0,
        )
        steps = []
        try:
            self.core.create_namespaced_pod(
                namespace,
                {
                    "metadata": {"name": "sts-0", "annotations": ANNOTATIONS},
                    "spec": {
                        "nodeName": NODE,
                        "containers": [
                            {"name": "app", "image": "x", "resources": {"requests": RESOURCES, "limits": RESOURCES}}
                        ],
                    },
                },
            )
            for step, flow in (("bind", bind_pod), ("bind again (no-op)", bind_pod)):
                steps.append(self._timed(emulator, step, flow, ctx, namespace))
            self.core.delete_namespaced_pod("sts-0", namespace)  # Terminating: no kubelet confirms it
            steps.append(self._timed(emulator, "release", release_pod, ctx, namespace))
        finally:
            for stored in self.store.list(namespace=namespace):
                self.store.delete(stored)
            self.core.delete_collection_namespaced_pod(namespace, grace_period_seconds=0)
            self.core.delete_namespace(namespace)
        return steps

    @staticmethod
    def _timed(emulator, step, flow, ctx, namespace):
        emulator.counters.reset()
        start = time.perf_counter()
        result = flow(ctx, namespace, "sts-0")
        seconds = time.perf_counter() - start
        counts = emulator.counters.as_dict()
        if step.endswith("(no-op)") and result.changed:
            raise RuntimeError("a bind after a bind still did %s" % result.actions)
        return step, seconds, counts["total_reads"], counts["total_writes"]


def run(latencies, repeats):
    """Rows per latency and flow step; the sandbox is started if needed and then stopped again."""
    was_running = sandbox_cluster.running(sandbox_cluster.read_state())
    state = sandbox_cluster.up()
    rows = []
    try:
        bench = Bench(config.new_client_from_config(config_file=state["kubeconfig"]))
        try:
            for latency in latencies:
                results = {}
                last = {}
                for cycle in range(repeats):
                    with Emulator(
                        DEFAULT_TOPOLOGY,
                        settings={"transition_seconds": 0},
                        faults={"latency_ms": latency, "fault_seed": cycle},
                    ) as emulator:
                        for step, seconds, reads, writes in bench.cycle(emulator):
                            results.setdefault(step, []).append(seconds)
                            last[step] = (reads, writes)
                for step, times in results.items():
                    rows.append(
                        Row("flow %s, latency %d ms" % (step, latency), 1, statistics.median(times), *last[step])
                    )
        finally:
            bench.close()
    finally:
        if not was_running:
            sandbox_cluster.down()
    return rows
