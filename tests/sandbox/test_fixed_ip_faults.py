"""Crash safety: whichever cloud write of a bind or release fails, running the flow again ends where an undisturbed run ends.

Each case drives the flows API directly (no node agent) against the sandbox's apiserver and a fresh
in-process emulator: bind sts-0 on one node, delete it (release), bind the re-created sts-0 on
another node. The emulator fails the Nth mutating call, either before it runs ("drop": the answer
never comes and nothing changed) or after it ran ("drop_after": it changed the cloud, the answer is
lost). The failed flow is run again; the end state (ENIs, subnet IP attributes, records, pod IP) must
equal the undisturbed run's: no leaked or missing ENI, no lost or duplicated reservation.
"""

import time
import uuid

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from sandbox_reset import flows_without_agent

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import ClusterConfig
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, FlowError, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator
from sandbox.node_agent.network import pod_network_writer
from sandbox.node_agent.vpc_cni import sandbox_settings

pytestmark = pytest.mark.controlplane

GROUP = "faults-test.ksyun.com"
NODES = {"fault-47": "10.0.0.47", "fault-48": "10.0.0.48"}
INSTANCES = {"fault-47": "5f2c7a10-0004-4a6e-9c1b-000000000047", "fault-48": "5f2c7a10-0004-4a6e-9c1b-000000000048"}
# scenario: (ENI mode, fixed, cloud writes of the undisturbed lifecycle)
SCENARIOS = {
    "shared-fixed": (
        "shared",
        True,
        9,
    ),  # bind: create+attach ENI, assign; release: unassign, reserve; rebind: +unreserve
    "exclusive-fixed": ("exclusive", True, 4),  # bind: create+attach ENI; release: detach; rebind: attach elsewhere
    "shared-non-fixed": (
        "shared",
        False,
        7,
    ),  # bind: create+attach ENI, assign; release: unassign; bind: create+attach, assign
}
CASES = [
    (scenario, fault, nth)
    for scenario, (mode, fixed, writes) in SCENARIOS.items()
    for fault in ("drop", "drop_after")
    for nth in range(1, writes + 1)
]


@pytest.fixture(scope="module")
def dyn(kube, wait_for):
    """A dynamic client, with the records' CRDs in a group of their own and two nodes no agent runs."""
    yield from flows_without_agent(kube, wait_for, GROUP, INSTANCES)


class World:
    """One case: a fresh emulator, a namespace, and two flow contexts (one that stops at the first failure)."""

    def __init__(self, dyn, core, namespace, mode, fixed):
        self.dyn, self.core, self.ns, self.mode, self.fixed = dyn, core, namespace, mode, fixed
        self.emulator = Emulator(DEFAULT_TOPOLOGY, settings={"transition_seconds": 0})
        self.emulator.start()
        cloud = KsyunClient(
            access_key_id="test",
            secret_access_key="test",
            region="cn-beijing-6",
            endpoint=self.emulator.url,
            retry=RetryPolicy(attempts=2, base_delay=0.0),
        )
        config = ClusterConfig(settings=sandbox_settings(DEFAULT_TOPOLOGY), crd_group=GROUP)
        self.store = ReservationStore(dyn, group=GROUP)
        options = {
            "store": self.store,
            "pod_network": pod_network_writer(dyn, NODES.get),
            "lock_namespace": namespace,
            "eni_wait_interval": 0.02,
            "retry_delay": 0.0,
        }
        self.flaky = FlowContext(dyn, cloud, config, max_rounds=1, **options)
        self.calm = FlowContext(dyn, cloud, config, max_rounds=3, **options)
        self.failures = []

    def stop(self):
        self.emulator.stop()

    def create_pod(self, node):
        annotations = {
            "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
            "k8s.ksyun.com/pod-eniip" if self.mode == "shared" else "k8s.ksyun.com/pod-eni": "true",
        }
        if self.fixed:
            annotations["k8s.ksyun.com/pod-ip-fixed"] = "true"
        resources = {"ksyun/eni-private-ip" if self.mode == "shared" else "ksyun/eni": "1"}
        self.core.create_namespaced_pod(
            self.ns,
            {
                "metadata": {"name": "sts-0", "annotations": annotations},
                "spec": {
                    "nodeName": node,
                    "containers": [
                        {"name": "app", "image": "x", "resources": {"requests": resources, "limits": resources}}
                    ],
                },
            },
        )

    def remove_pod(self):
        """Delete as a user does (the pod turns Terminating), release, then confirm as a kubelet does."""
        uid = self.core.read_namespaced_pod("sts-0", self.ns).metadata.uid
        self.core.delete_namespaced_pod("sts-0", self.ns)
        self.flow(release_pod)
        self.core.delete_namespaced_pod("sts-0", self.ns, body={"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.core.read_namespaced_pod("sts-0", self.ns)
            except ApiException as e:
                if e.status == 404:
                    return
                raise
            time.sleep(0.05)
        raise AssertionError("sts-0 was not deleted")

    def flow(self, run):
        """Run a flow; if the injected fault stops it, run it again (the rerun a node agent or a playbook does)."""
        try:
            run(self.flaky, self.ns, "sts-0")
        except FlowError as err:
            self.failures.append(str(err))
            run(self.calm, self.ns, "sts-0")

    def lifecycle(self):
        self.create_pod("fault-47")
        self.flow(bind_pod)
        self.remove_pod()
        self.create_pod("fault-48")
        self.flow(bind_pod)

    def end_state(self):
        """What the cloud and the cluster hold, without the values a rerun may legitimately change (uids, times, ids)."""
        data = self.emulator.state.data
        enis = [
            dict(e, name=e["name"].replace(self.ns, "<namespace>"))
            for e in data["network_interfaces"].values()
            if e["type"] != "primary"
        ]
        names = {e["id"]: e["name"] for e in enis}
        records = []
        for stored in self.store.list(namespace=self.ns):
            content = stored.reservation.to_dict()
            content["eniId"] = names.get(content["eniId"], content["eniId"])
            records.append(
                (
                    stored.kind,
                    stored.name,
                    sorted(
                        (k, v) for k, v in content.items() if k not in ("podNamespace", "podUID", "releasedAt", "mac")
                    ),
                )
            )
        pod = self.core.read_namespaced_pod("sts-0", self.ns)
        return {
            "enis": sorted(
                (
                    e["name"],
                    e["subnet_id"],
                    e["instance_id"] or "",
                    e["primary_ip"],
                    tuple(sorted(e["secondary_ips"])),
                    e["state"],
                )
                for e in enis
            ),
            "ip_attributes": {subnet: table for subnet, table in data["ip_attributes"].items() if table},
            "records": sorted(records),
            "pod": (pod.status.pod_ip, pod.status.phase, pod.spec.node_name),
        }


def _world(dyn, kube, mode, fixed):
    core = client.CoreV1Api(kube)
    namespace = f"f-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": namespace}})
    return World(dyn, core, namespace, mode, fixed)


def _drop(world):
    """Delete the case's records now (a namespace goes away slowly, and every flow reads all PodEniIPs of the cluster)."""
    world.stop()
    for stored in world.store.list(namespace=world.ns):
        world.store.delete(stored)
    # No kubelet runs the fake nodes, so only a zero grace period removes their pods.
    world.core.delete_collection_namespaced_pod(world.ns, grace_period_seconds=0)
    world.core.delete_namespace(world.ns)


@pytest.fixture(scope="module")
def undisturbed(dyn, kube):
    """The end state of each scenario without faults, and its number of cloud writes."""
    results = {}
    for scenario, (mode, fixed, writes) in SCENARIOS.items():
        world = _world(dyn, kube, mode, fixed)
        try:
            world.lifecycle()
            assert (
                world.emulator.counters.as_dict()["total_writes"] == writes
            ), f"{scenario}: the test's write count is out of date"
            assert world.failures == []
            results[scenario] = world.end_state()
        finally:
            _drop(world)
    return results


@pytest.mark.parametrize("scenario,fault,nth", CASES, ids=[f"{s}-{f}-{n}" for s, f, n in CASES])
def test_a_flow_failing_at_any_cloud_write_converges_when_run_again(dyn, kube, undisturbed, scenario, fault, nth):
    mode, fixed, writes = SCENARIOS[scenario]
    world = _world(dyn, kube, mode, fixed)
    try:
        world.emulator.faults.configure({"fail_nth": [{"nth": nth, "scope": "writes", "mode": fault}]})
        world.lifecycle()
        fired = world.emulator.faults.as_dict()["fail_nth"][0]["seen"] >= nth
        assert (
            fired and len(world.failures) == 1
        ), f"write {nth} of {writes} was failed once and stopped one flow: {world.failures}"
        assert world.end_state() == undisturbed[scenario]
        again = bind_pod(world.calm, world.ns, "sts-0")
        assert not again.changed, f"a bind after convergence still does {again.actions}"
    finally:
        _drop(world)


BIND_CASES = [
    (scenario, fault, nth)
    for scenario, writes in (("shared-fixed", 3), ("exclusive-fixed", 2))
    for fault in ("drop", "drop_after")
    for nth in range(1, writes + 1)
]


@pytest.mark.parametrize("scenario,fault,nth", BIND_CASES, ids=[f"{s}-{f}-{n}" for s, f, n in BIND_CASES])
def test_a_pod_deleted_while_its_bind_was_cut_short_keeps_its_fixed_ip_out_of_reach(dyn, kube, scenario, fault, nth):
    mode, fixed = SCENARIOS[scenario][:2]
    world = _world(dyn, kube, mode, fixed)
    try:
        world.emulator.faults.configure({"fail_nth": [{"nth": nth, "scope": "writes", "mode": fault}]})
        world.create_pod("fault-47")
        with pytest.raises(FlowError):
            bind_pod(world.flaky, world.ns, "sts-0")
        world.remove_pod()
        records = world.store.list(namespace=world.ns)
        enis = [e for e in world.emulator.state.data["network_interfaces"].values() if e["type"] != "primary"]
        if mode == "shared":
            [record] = [stored.reservation for stored in records]
            ip = record.ip
            assert record.phase.value == "Reserved"
            assert not any(
                ip == e["primary_ip"] or ip in e["secondary_ips"] for e in enis
            ), "the IP is back in the subnet"
            assert world.emulator.state.data["ip_attributes"][record.subnet_id][ip]["allocate_status"] == "specific"
        else:
            own = [e for e in enis if e["name"].endswith(f"_{world.ns}_sts-0")]
            assert len(own) <= 1, "the pod's ENI was created at most once"
            if own:
                [record] = [stored.reservation for stored in records]
                assert (record.phase.value, record.eni_id, own[0]["instance_id"]) == ("Reserved", own[0]["id"], None)
                ip = own[0]["primary_ip"]
            else:
                assert records == [], "no ENI was made, so there is no IP to keep"
                ip = None
        world.create_pod("fault-48")
        world.flow(bind_pod)
        pod = world.core.read_namespaced_pod("sts-0", world.ns)
        assert pod.status.pod_ip and (ip is None or pod.status.pod_ip == ip), "the re-created pod gets the kept IP back"
    finally:
        _drop(world)
