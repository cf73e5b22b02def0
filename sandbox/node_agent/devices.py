"""The VPC-CNI device plugin of the sandbox nodes: ksyun/eni and ksyun/eni-private-ip as the cloud shows them.

A device plugin reports devices, and the kubelet makes them the node's capacity (every device) and allocatable (the
healthy ones); the scheduler then subtracts the requests of the pods bound to the node. So a slot that a pod
requesting the resource holds stays in allocatable (its request accounts for it), and a slot that anything else
holds is taken out of it:

- ``ksyun/eni`` (exclusive ENI mode, one ENI per pod): capacity = the ENIs an empty node can take beside its primary
  ENI (``quota.eni_capacity``). Allocatable = the ENIs it can still take (``quota.eni_room``: free ENI slots, and under
  a per-instance IP quota the primary IPs left) plus the ENIs that pods requesting ``ksyun/eni`` hold (attached ENIs
  whose primary IP is such a pod's IP). An ENI attached out of band, a shared-mode ENI or the ENI of a pod that is
  gone takes a slot.
- ``ksyun/eni-private-ip`` (shared ENI mode, one secondary IP per pod): capacity = the pod IPs an empty node can hold
  (``quota.pod_ip_capacity``). Allocatable = the pod IPs it can still take (``quota.pod_ip_room``: room on the
  cluster's shared ENIs of the node's zone subnets, then on new ENIs in the ENI slots left) plus the IPs that pods
  requesting ``ksyun/eni-private-ip`` hold on those ENIs. Every other IP (an ordinary pod's, one assigned out of
  band) and every ENI slot taken (exclusive, out of band) leaves fewer.

Both are counted as CloudBehaviour (the VPC-CNI ConfigMap) says the cloud counts; until the ConfigMap exists (a bare
sandbox) with CloudBehaviour's defaults and no shared ENI known. Allocatable never exceeds capacity. The flows keep
their own quota checks: two resources share the ENI slots, so a node can still fill up between two syncs, and then
the bind refuses with its message.

A sync reads the cloud with one paged DescribeNetworkInterfaces for every node's instance (filter instance-id); the
first sync also reads the instances and their types' quotas (one DescribeInstances, one
DescribeInstanceTypeConfigs), which do not change while a sandbox runs. It runs after the node agent's own binds and
releases (a burst becomes one sync) and every RESYNC_SECONDS, and patches the status of the nodes whose values
changed. The calls are signed with the access key CALLER, so the emulator's counters keep them apart.
"""

import logging
import threading
from dataclasses import dataclass
from typing import AbstractSet, Dict, Iterable, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.placement import is_cluster_shared_eni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import EXCLUSIVE_RESOURCE, SHARED_RESOURCE
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import (
    eni_capacity,
    eni_room,
    pod_ip_capacity,
    pod_ip_room,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour, Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    NodeSnapshot,
    PodSnapshot,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    ClusterConfigError,
    parse_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, get_or_none, resource
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from sandbox.node_agent.nodes import MANAGED_LABEL

LOG = logging.getLogger("node-agent")
RESOURCES = (EXCLUSIVE_RESOURCE, SHARED_RESOURCE)
RESYNC_SECONDS = 5.0
SETTLE_SECONDS = 0.2  # after a bind or release: wait this long for more, then sync once
CALLER = "sandbox-device-plugin"


@dataclass(frozen=True)
class Devices:
    """One extended resource of a node as the kubelet reports it."""

    capacity: int
    allocatable: int


def requested(pod: PodSnapshot, resource: str) -> int:
    """How many of resource the pod requests (0 when it does not, or not as a whole number)."""
    try:
        return int(str(pod.resource_requests.get(resource, 0)))
    except ValueError:
        return 0


def counted_by_scheduler(pod: dict) -> bool:
    """A pod whose requests the scheduler subtracts from its node's allocatable: bound and not finished."""
    return bool((pod.get("spec") or {}).get("nodeName")) and (pod.get("status") or {}).get("phase") not in (
        "Succeeded",
        "Failed",
    )


def shared_enis(node: NodeSnapshot, cloud: CloudSnapshot, settings: Optional[Settings]) -> AbstractSet[str]:
    """The node's ENIs that carry shared-mode pod IPs: the cluster's shared ENIs in the pod subnets of its zone."""
    if settings is None:
        return frozenset()
    subnets = set(settings.subnets_in(node.zone))
    return frozenset(
        eni.eni_id
        for eni in cloud.enis_on(node.instance_id)
        if eni.subnet_id in subnets and is_cluster_shared_eni(eni, settings.cluster_name)
    )


def node_devices(
    node: NodeSnapshot, cloud: CloudSnapshot, settings: Optional[Settings], pods: Iterable[PodSnapshot]
) -> Dict[str, Devices]:
    """ksyun/eni and ksyun/eni-private-ip of node (see the module docstring); pods: the pods bound to it that the
    scheduler counts (counted_by_scheduler)."""
    behaviour = settings.cloud if settings is not None else CloudBehaviour()
    carriers = shared_enis(node, cloud, settings)
    mine = [pod for pod in pods if pod.node_name == node.name and pod.pod_ip]
    exclusive_ips = {pod.pod_ip for pod in mine if requested(pod, EXCLUSIVE_RESOURCE)}
    shared_ips = {pod.pod_ip for pod in mine if requested(pod, SHARED_RESOURCE)}
    attached = [eni for eni in cloud.enis_on(node.instance_id) if not eni.is_primary]
    held_enis = [eni for eni in attached if eni.eni_id not in carriers and eni.primary_ip in exclusive_ips]
    held_ips = [ip for eni in attached if eni.eni_id in carriers for ip in eni.secondary_ips if ip in shared_ips]
    enis, ips = eni_capacity(node, behaviour), pod_ip_capacity(node, behaviour)
    return {
        EXCLUSIVE_RESOURCE: Devices(enis, min(enis, eni_room(node, cloud, behaviour) + len(held_enis))),
        SHARED_RESOURCE: Devices(ips, min(ips, pod_ip_room(node, cloud, behaviour, carriers) + len(held_ips))),
    }


def reported(node: dict) -> Dict[str, Devices]:
    """What a Node object's status shows for the resources (missing ones left out)."""
    status = node.get("status") or {}
    capacity, allocatable = status.get("capacity") or {}, status.get("allocatable") or {}
    out = {}
    for resource in RESOURCES:
        try:
            out[resource] = Devices(int(capacity[resource]), int(allocatable[resource]))
        except (KeyError, TypeError, ValueError):
            continue
    return out


def status_patch(devices: Dict[str, Devices]) -> dict:
    return {
        "status": {
            "capacity": {name: str(value.capacity) for name, value in devices.items()},
            "allocatable": {name: str(value.allocatable) for name, value in devices.items()},
        }
    }


class DevicePlugin:
    """Keeps the resources of the VPC-CNI nodes among specs (NodeSpec) in step with the cloud.

    core: a CoreV1Api; kube: a dynamic client (the ConfigMap); cloud_factory: a KsyunClient factory taking the access
    key id to sign with.
    """

    def __init__(self, core, kube, cloud_factory, specs, stop, resync=RESYNC_SECONDS, settle=SETTLE_SECONDS):
        self.core, self.kube, self.stop = core, kube, stop
        self.specs = {spec.name: spec for spec in specs if spec.vpc_cni}
        self.cloud_factory = cloud_factory
        self.resync, self.settle = resync, settle
        self._reader = None
        self._nodes: Optional[Dict[str, NodeSnapshot]] = None
        self._settings: Optional[Settings] = None
        self._wake = threading.Event()
        self._warned = set()
        self.syncs = 0

    def start(self) -> None:
        if self.specs:
            threading.Thread(target=self._run, name="device-plugin", daemon=True).start()

    def changed(self) -> None:
        """The agent changed the cloud (a bind or a release): sync soon."""
        self._wake.set()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                self.sync()
            except Exception as exc:  # noqa: BLE001 - a failed sync keeps what the nodes show until the next one
                self._warn("sync", "device plugin: a sync failed, the nodes keep their values until the next: %s" % exc)
            if self._wake.wait(self.resync):
                self.stop.wait(self.settle)  # a burst of binds and releases becomes one sync
            self._wake.clear()

    def _warn(self, key: str, text: str, level=logging.WARNING) -> None:
        if (key, text) not in self._warned:
            self._warned.add((key, text))
            LOG.log(level, "%s", text)

    def _cluster_settings(self) -> Optional[Settings]:
        """The VPC-CNI ConfigMap's settings; the last good ones while it is missing or wrong (None before any)."""
        fallback = "the last good configuration" if self._settings else "CloudBehaviour's defaults"
        found = get_or_none(self.kube, "v1", "ConfigMap", DEFAULT_NAME, DEFAULT_NAMESPACE)
        if found is None:  # no VPC-CNI add-on yet (a bare sandbox, or before install_addons)
            self._warn(
                "config",
                "device plugin: no ConfigMap %s/%s yet; counting with %s" % (DEFAULT_NAMESPACE, DEFAULT_NAME, fallback),
                logging.INFO,
            )
            return self._settings
        try:
            self._settings = parse_cluster_config(
                found.get("data") or {}, "ConfigMap %s/%s" % (DEFAULT_NAMESPACE, DEFAULT_NAME)
            ).settings
        except ClusterConfigError as err:
            self._warn("config", "device plugin: %s; counting with %s" % (err, fallback))
        return self._settings

    def _node_snapshots(self, reader: CloudReader) -> Dict[str, NodeSnapshot]:
        if self._nodes is None:
            ids = sorted({spec.instance_id for spec in self.specs.values()})
            instances = {instance.instance_id: instance for instance in reader.instances(ids)}
            missing = [spec.name for spec in self.specs.values() if spec.instance_id not in instances]
            if missing:
                raise RuntimeError("DescribeInstances does not show the instances of nodes %s" % ", ".join(missing))
            self._nodes = {name: instances[spec.instance_id].node(name) for name, spec in self.specs.items()}
        return self._nodes

    def sync(self) -> Dict[str, Dict[str, Devices]]:
        """Read the cloud once for every node, work out each node's devices, patch the nodes whose values changed."""
        if self._reader is None:
            self._reader = CloudReader(self.cloud_factory(CALLER))
        settings = self._cluster_settings()
        nodes = self._node_snapshots(self._reader)
        enis = self._reader.enis(filters={"instance-id": sorted({node.instance_id for node in nodes.values()})})
        cloud = CloudSnapshot(enis=tuple(enis))
        listed = as_dict(resource(self.kube, "v1", "Pod").get()).get("items") or []
        pods = [pod_snapshot(pod) for pod in listed if counted_by_scheduler(pod)]
        shown = {
            node["metadata"]["name"]: reported(node)
            for node in as_dict(resource(self.kube, "v1", "Node").get(label_selector=MANAGED_LABEL + "=true")).get(
                "items"
            )
            or []
        }
        result = {}
        for name, node in sorted(nodes.items()):
            devices = node_devices(node, cloud, settings, pods)
            result[name] = devices
            if name in shown and shown[name] != devices:
                self.core.patch_node_status(name, status_patch(devices))
                LOG.info(
                    "node %s: %s",
                    name,
                    ", ".join(
                        "%s %s/%s (allocatable/capacity)" % (resource, value.allocatable, value.capacity)
                        for resource, value in devices.items()
                    ),
                )
        self.syncs += 1
        return result
