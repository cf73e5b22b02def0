"""Fixtures for tests that need the real local control plane (sandbox_state, kube and wait_for: tests/fixtures_sandbox.py).

Every test here starts from the sandbox's baseline and leaves it so (sandbox_reset.py): the emulator's settings and
faults, the VPC-CNI ConfigMap, the nodes' cordons and the add-ons (multus, VPC-CNI) are put back before and after each
test, and a test on the shared cloud (fixed_ip_namespace) starts with nothing on the nodes that no record keeps. Tests
own their namespaces.

KSYUN_KCE_TEST_ORDER=reverse or random[:seed] runs the collected tests in that order (to show they do not depend on it).
"""

import os
import random
import uuid

import pytest
from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException
from sandbox_reset import Baseline
from user_shell import install_readonly, writable_again

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from fixtures_sandbox import wait_until
from sandbox.ksyun_emulator.admin_client import AdminClient

ORDER_VARIABLE = "KSYUN_KCE_TEST_ORDER"


def pytest_collection_modifyitems(config, items):
    """Reorder every collected test when KSYUN_KCE_TEST_ORDER asks for it (reverse, random, random:<seed>)."""
    order = os.environ.get(ORDER_VARIABLE, "").strip()
    if not order:
        return
    kind, seed = order.partition(":")[::2]
    if kind == "reverse" and not seed:
        items.reverse()
        how = "reversed"
    elif kind == "random":
        seed = int(seed) if seed else random.SystemRandom().randrange(1, 10**6)
        random.Random(seed).shuffle(items)
        how = f"shuffled with seed {seed} ({ORDER_VARIABLE}=random:{seed} repeats it)"
    else:
        raise pytest.UsageError(f"{ORDER_VARIABLE}={order!r}: use reverse, random or random:<seed>")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"{ORDER_VARIABLE}: {len(items)} tests {how}")


@pytest.fixture(scope="session")
def core(kube):
    return client.CoreV1Api(kube)


@pytest.fixture()
def namespace(core):
    name = f"t-{uuid.uuid4().hex[:8]}"
    core.create_namespace({"metadata": {"name": name}})
    yield name
    core.delete_namespace(name)


# --- fixed Pod IP: the sandbox as a KCE cluster with VPC-CNI (node agent + KSYUN emulator) ---------------------

SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
NODE_INSTANCES = {
    "10.0.0.47": "5f2c7a10-0004-4a6e-9c1b-000000000047",
    "10.0.0.48": "5f2c7a10-0004-4a6e-9c1b-000000000048",
    "10.0.0.49": "5f2c7a10-0004-4a6e-9c1b-000000000049",
    "10.0.1.20": "5f2c7a10-0004-4a6e-9c1b-000000001020",
}
SHARED, EXCLUSIVE = "shared", "exclusive"
ANNOTATIONS = {
    SHARED: {
        "k8s.ksyun.com/pod-eniip": "true",
        "k8s.ksyun.com/pod-ip-fixed": "true",
        "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
    },
    EXCLUSIVE: {
        "k8s.ksyun.com/pod-eni": "true",
        "k8s.ksyun.com/pod-ip-fixed": "true",
        "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
    },
}
RESOURCES = {SHARED: {"ksyun/eni-private-ip": "1"}, EXCLUSIVE: {"ksyun/eni": "1"}}


def pod_template(mode=None, fixed=True, node_selector=None, hosts=None, labels=None):
    """The product page's pod template: its annotations and resources for a mode (None: an ordinary pod)."""
    annotations = dict(ANNOTATIONS[mode]) if mode else {}
    if mode and not fixed:
        annotations.pop("k8s.ksyun.com/pod-ip-fixed")
    container = {"name": "app", "image": "hub.kce.ksyun.com/ksyun/nginx:latest"}
    if mode:
        container["resources"] = {"requests": dict(RESOURCES[mode]), "limits": dict(RESOURCES[mode])}
    spec = {
        "containers": [container],
        "imagePullSecrets": [{"name": "ksyunregistrykey"}],
        "terminationGracePeriodSeconds": 30,
    }
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    if hosts:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "kubernetes.io/hostname", "operator": "In", "values": list(hosts)}
                            ]
                        }
                    ]
                }
            }
        }
    return {"metadata": {"labels": dict(labels or {}), "annotations": annotations}, "spec": spec}


def statefulset(name, mode, hosts=None, replicas=1, fixed=True):
    """A StatefulSet as on the product page (OrderedReady, label ksyun-app), kept in the zone of subnet 10.0.0.0/24."""
    labels = {"ksyun-app": name}
    template = pod_template(
        mode, fixed=fixed, node_selector={"topology.kubernetes.io/zone": "cn-beijing-6a"}, hosts=hosts, labels=labels
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": labels},
            "template": template,
        },
    }


def bare_pod(name, mode=None, fixed=True, node=None):
    """An ownerless pod (fixed IP allowed, like a static pod); node: bind it directly, bypassing the scheduler."""
    template = pod_template(mode, fixed=fixed)
    spec = dict(template["spec"])
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": dict(template["metadata"], name=name), "spec": spec}


class Cluster:
    """The sandbox seen by a fixed-IP test: pods, records and the emulated cloud."""

    SUBNET_6A = SUBNET_6A
    NODE_INSTANCES = NODE_INSTANCES
    statefulset = staticmethod(statefulset)
    bare_pod = staticmethod(bare_pod)
    pod_template = staticmethod(pod_template)

    def __init__(self, kube, state, wait):
        self.core, self.apps = client.CoreV1Api(kube), client.AppsV1Api(kube)
        self.dynamic = dynamic.DynamicClient(kube)
        self.store = ReservationStore(self.dynamic)
        self.admin = AdminClient("http://" + state["ksyun_endpoint"])
        self.cloud = KsyunClient(
            access_key_id="test",
            secret_access_key="test",
            region="cn-beijing-6",
            endpoint="http://" + state["ksyun_endpoint"],
        )
        self.wait = wait

    def pod(self, namespace, name):
        try:
            return self.core.read_namespaced_pod(name, namespace)
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def running(self, namespace, name, other_than=None, timeout=60.0):
        """Wait until the pod (a new one if other_than names a uid) is Running and Ready with an IP."""

        def ready():
            pod = self.pod(namespace, name)
            if (
                pod is None
                or pod.metadata.uid == other_than
                or pod.metadata.deletion_timestamp
                or not pod.status.pod_ip
            ):
                return None
            conditions = {c.type: c.status for c in pod.status.conditions or []}
            return pod if pod.status.phase == "Running" and conditions.get("Ready") == "True" else None

        return self.wait(f"pod {namespace}/{name} Running and Ready with an IP", ready, timeout=timeout)

    def gone(self, namespace, name, uid, timeout=60.0):
        def replaced_or_gone():
            pod = self.pod(namespace, name)
            return pod is None or pod.metadata.uid != uid

        self.wait(f"pod {namespace}/{name} (uid {uid}) deleted", replaced_or_gone, timeout=timeout)

    def records(self, namespace):
        return {(item.kind, item.name): item.reservation for item in self.store.list(namespace=namespace)}

    def cloud_state(self):
        return self.admin.state()

    def enis(self):
        return {e["id"]: e for e in self.cloud_state()["network_interfaces"].values() if e["type"] != "primary"}

    def holder(self, ip):
        """The ENI holding ip (primary or secondary), or None."""
        return next(
            (
                e
                for e in self.cloud_state()["network_interfaces"].values()
                if ip == e["primary_ip"] or ip in e["secondary_ips"]
            ),
            None,
        )

    def allocate_status(self, ip, subnet=SUBNET_6A):
        return self.cloud_state()["ip_attributes"].get(subnet, {}).get(ip, {}).get("allocate_status", "random")

    def warnings(self, namespace, name):
        events = self.core.list_namespaced_event(namespace, field_selector=f"involvedObject.name={name}").items
        return [(e.reason, e.message) for e in events if e.type == "Warning"]

    def forget(self, namespace):
        """Delete the namespace's workloads and pods, wait for their releases, then free the kept reservations
        (what the FAQ's manual reclaim does), so one test's fixed IPs and ENIs do not crowd the next."""
        for sts in self.apps.list_namespaced_stateful_set(namespace).items:
            self.apps.delete_namespaced_stateful_set(sts.metadata.name, namespace)
        for deploy in self.apps.list_namespaced_deployment(namespace).items:
            self.apps.delete_namespaced_deployment(deploy.metadata.name, namespace)
        self.core.delete_collection_namespaced_pod(namespace)
        self.wait(
            f"every pod of {namespace} deleted and released",
            lambda: not self.core.list_namespaced_pod(namespace).items,
            timeout=90,
        )
        for stored in self.store.list(namespace=namespace):
            record = stored.reservation
            if record.mode.value == SHARED:
                holder = self.holder(record.ip)
                if holder is not None and holder["primary_ip"] != record.ip:
                    self.cloud.unassign_private_ips(holder["id"], [record.ip])
                if self.allocate_status(record.ip, record.subnet_id) == "specific":
                    self.cloud.release_private_ip_reservation(record.subnet_id, record.ip)
            elif record.eni_id and self.cloud.get_network_interface(record.eni_id) is not None:
                eni = self.cloud.get_network_interface(record.eni_id)
                if eni.get("InstanceId"):
                    self.cloud.detach_network_interface(eni["InstanceId"], record.eni_id)
                    self.cloud.wait_network_interface(record.eni_id, None, timeout=30, interval=0.1)
                self.cloud.delete_network_interface(record.eni_id)
            self.store.delete(stored)


@pytest.fixture(scope="session")
def cluster(kube, sandbox_state):
    return Cluster(kube, sandbox_state, wait_until)


@pytest.fixture(scope="session")
def baseline(kube, cluster, sandbox_state):
    return Baseline(kube, cluster.admin, cluster.cloud, wait_until, sandbox_state["kubeconfig"])


@pytest.fixture(autouse=True)
def sandbox_configuration(baseline):
    """Emulator settings and faults, the VPC-CNI ConfigMap, uncordoned nodes and the add-ons, before and after every
    test."""
    baseline.restore_config()
    yield
    baseline.restore_config()


@pytest.fixture()
def fixed_ip_namespace(namespace, cluster, baseline):
    """A namespace on a sandbox whose nodes hold nothing that no record keeps; its pods, records and kept IPs/ENIs are
    freed after the test."""
    baseline.free_cloud(keep_namespaces=(namespace,))
    yield namespace
    cluster.forget(namespace)


@pytest.fixture(scope="session")
def readonly_collection(tmp_path_factory):
    """The collection as a user installs it: built into its tarball, installed with ansible-galaxy, read-only
    (user_shell.install_readonly); the folder to put on ANSIBLE_COLLECTIONS_PATH."""
    root = install_readonly(tmp_path_factory.mktemp("installed"))
    yield root
    writable_again(root)
