"""Pods, StatefulSets and records as the reclaim and audit tests make them on the sandbox (its node agent binds them)."""

from datetime import datetime, timedelta, timezone

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import format_time

ZONE_6A = "cn-beijing-6a"
MERGE = "application/merge-patch+json"
ANNOTATIONS = {
    "shared": {"k8s.ksyun.com/pod-eniip": "true", "v1.multus-cni.io/default-network": "kube-system/vpc-cni"},
    "exclusive": {"k8s.ksyun.com/pod-eni": "true", "v1.multus-cni.io/default-network": "kube-system/vpc-cni"},
}
RESOURCES = {"shared": {"ksyun/eni-private-ip": "1"}, "exclusive": {"ksyun/eni": "1"}}


def template(mode, fixed=True):
    annotations = dict(ANNOTATIONS[mode], **({"k8s.ksyun.com/pod-ip-fixed": "true"} if fixed else {}))
    container = {
        "name": "app",
        "image": "hub.kce.ksyun.com/ksyun/nginx:latest",
        "resources": {"requests": dict(RESOURCES[mode]), "limits": dict(RESOURCES[mode])},
    }
    return {
        "metadata": {"annotations": annotations},
        "spec": {"containers": [container], "terminationGracePeriodSeconds": 0},
    }


def bare_pod(name, mode, node="10.0.0.47", fixed=True):
    """An ownerless fixed-IP pod (allowed a fixed IP, like a static pod), bound straight to node (None: never scheduled)."""
    body = template(mode, fixed)
    body["metadata"]["name"] = name
    if node:
        body["spec"]["nodeName"] = node
    else:
        body["spec"]["nodeSelector"] = {"kubernetes.io/hostname": "no-such-node"}
    return dict(body, apiVersion="v1", kind="Pod")


def statefulset(name, mode, replicas, annotations=None):
    """A fixed-IP StatefulSet kept in zone cn-beijing-6a (Parallel, so a scale-down releases its ordinals together)."""
    body = template(mode)
    body["metadata"]["labels"] = {"ksyun-app": name}
    body["spec"]["affinity"] = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [ZONE_6A]}
                        ]
                    }
                ]
            }
        }
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "annotations": dict(annotations or {})},
        "spec": {
            "replicas": replicas,
            "serviceName": name,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"ksyun-app": name}},
            "template": body,
        },
    }


class Sandbox:
    """What a reclaim or audit test does to the sandbox's cluster and cloud, and reads back."""

    def __init__(self, dyn, emulator, ksyun, wait_for, namespace):
        self.dyn, self.emulator, self.ksyun, self.wait, self.ns = dyn, emulator, ksyun, wait_for, namespace
        self.pods = dyn.resources.get(api_version="v1", kind="Pod")
        self.sts = dyn.resources.get(api_version="apps/v1", kind="StatefulSet")
        self.kinds = {
            "shared": dyn.resources.get(api_version="k8s.ksyun.com/v1", kind="PodEniIP"),
            "exclusive": dyn.resources.get(api_version="k8s.ksyun.com/v1", kind="PodEni"),
        }

    def pod(self, name):
        found = [p for p in self.pods.get(namespace=self.ns).to_dict()["items"] if p["metadata"]["name"] == name]
        return found[0] if found else None

    def running(self, name):
        """Wait until the pod has its IP; returns it."""
        return self.wait(
            "pod %s with an IP" % name, lambda: ((self.pod(name) or {}).get("status") or {}).get("podIP"), timeout=60
        )

    def delete_pod(self, name):
        self.pods.delete(namespace=self.ns, name=name)
        self.wait("pod %s gone" % name, lambda: self.pod(name) is None, timeout=60)

    def records(self):
        """{(kind, name): record object} of the namespace."""
        return {
            (mode, item["metadata"]["name"]): item
            for mode, kind in self.kinds.items()
            for item in kind.get(namespace=self.ns).to_dict()["items"]
        }

    def record_of(self, pod_name):
        found = [r for r in self.records().values() if r["spec"]["podName"] == pod_name]
        return found[0] if found else None

    def reserved(self, pod_name):
        """Wait until the pod's record is Reserved (its release ran); returns it."""

        def reserved():
            record = self.record_of(pod_name)
            return record if record and (record.get("status") or {}).get("phase") == "Reserved" else None

        return self.wait("record of %s Reserved" % pod_name, reserved, timeout=60)

    def expire(self, pod_name, retention="24h", released=timedelta(days=2)):
        """Give the pod's record a retention and a release time that long ago (as if released then)."""
        record = self.record_of(pod_name)
        kind = self.kinds[record["spec"]["mode"]]
        name = record["metadata"]["name"]
        if retention is not None:
            kind.patch(namespace=self.ns, name=name, content_type=MERGE, body={"spec": {"retention": retention}})
        when = format_time(datetime.now(timezone.utc) - released)
        kind.status.patch(namespace=self.ns, name=name, content_type=MERGE, body={"status": {"releasedAt": when}})

    def state(self):
        """The emulator's ENIs and IP attributes and the namespace's records, for before/after comparisons."""
        cloud = self.emulator.state()
        return {
            "enis": cloud["network_interfaces"],
            "ip_attributes": cloud["ip_attributes"],
            "records": {key: (r["spec"], r.get("status")) for key, r in self.records().items()},
        }

    def is_specific(self, subnet_id, ip):
        return (self.emulator.state()["ip_attributes"].get(subnet_id, {}).get(ip) or {}).get(
            "allocate_status"
        ) == "specific"

    def eni_exists(self, eni_id):
        return eni_id in self.emulator.state()["network_interfaces"]
