"""Sandbox Node objects: what they look like and how they are kept Ready (a kubelet's heartbeat)."""

import datetime
from dataclasses import dataclass

from kubernetes import client
from kubernetes.client.rest import ApiException

MANAGED_LABEL = "sandbox.ksyun.com/managed"
# On nodes of a pool with the VPC-CNI add-on only; the add-on's DaemonSet selects its nodes by it (sandbox/addons.py).
VPC_CNI_LABEL = "k8s.ksyun.com/vpc-cni"
KUBELET_VERSION = "v1.37.2"


@dataclass(frozen=True)
class NodeSpec:
    name: str
    instance_id: str
    zone: str
    region: str
    instance_type: str
    internal_ip: str
    eni: int
    eni_private_ip: int
    cpu: str = "8"
    memory: str = "32Gi"
    pods: int = 110
    vpc_cni: bool = True

    def labels(self) -> dict:
        labels = {
            MANAGED_LABEL: "true",
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "topology.kubernetes.io/zone": self.zone,
            "topology.kubernetes.io/region": self.region,
            "node.kubernetes.io/instance-type": self.instance_type,
            "k8s.ksyun.com/instance-id": self.instance_id,
        }
        if self.vpc_cni:
            labels[VPC_CNI_LABEL] = "true"
        return labels

    def resources(self) -> dict:
        res = {"cpu": self.cpu, "memory": self.memory, "pods": str(self.pods)}
        if self.eni:
            res["ksyun/eni"] = str(self.eni)
        if self.eni_private_ip:
            res["ksyun/eni-private-ip"] = str(self.eni_private_ip)
        return res


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _conditions(now: str) -> list:
    healthy = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
        ("Ready", "True", "KubeletReady"),
    ]
    return [
        {
            "type": t,
            "status": s,
            "reason": r,
            "message": "sandbox node agent",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        for t, s, r in healthy
    ]


def status_body(spec: NodeSpec) -> dict:
    now = _now()
    return {
        "status": {
            "capacity": spec.resources(),
            "allocatable": spec.resources(),
            "conditions": _conditions(now),
            "addresses": [
                {"type": "InternalIP", "address": spec.internal_ip},
                {"type": "Hostname", "address": spec.name},
            ],
            "nodeInfo": {
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "sandbox://0",
                "osImage": "ksyun.kce sandbox",
                "kernelVersion": "",
                "machineID": spec.instance_id,
                "systemUUID": spec.instance_id,
                "bootID": spec.instance_id,
            },
        }
    }


def register(core: client.CoreV1Api, spec: NodeSpec) -> None:
    """Create the Node (or update its labels), then report its status as a kubelet would."""
    body = {
        "metadata": {"name": spec.name, "labels": spec.labels()},
        "spec": {"providerID": f"ksyun://{spec.instance_id}"},
    }
    try:
        core.create_node(body)
    except ApiException as e:
        if e.status != 409:
            raise
        core.patch_node(spec.name, {"metadata": {"labels": spec.labels()}})
    core.patch_node_status(spec.name, status_body(spec))


def heartbeat(core: client.CoreV1Api, coord: client.CoordinationV1Api, spec: NodeSpec) -> None:
    """Renew the node Lease and the Ready condition, so node-lifecycle keeps the node Ready."""
    now = datetime.datetime.now(datetime.timezone.utc)
    lease = {
        "metadata": {"name": spec.name, "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": spec.name,
            "leaseDurationSeconds": 40,
            "renewTime": now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
    }
    try:
        coord.patch_namespaced_lease(spec.name, "kube-node-lease", {"spec": lease["spec"]})
    except ApiException as e:
        if e.status != 404:
            raise
        coord.create_namespaced_lease("kube-node-lease", lease)
    core.patch_node_status(spec.name, {"status": {"conditions": _conditions(_now())}})
