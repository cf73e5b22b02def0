# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PodEni, PodEniIP and VpcIP custom resource definitions, for any API group and version.

A real KCE cluster may already define its own group, so the group and version are parameters
everywhere; the schema is the same. PodEni and PodEniIP keep reservations (a fixed IP may outlive its
pod); VpcIP records the IP of a shared-mode pod without a fixed IP, and goes with its pod.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import VPC_IP

DEFAULT_GROUP = "k8s.ksyun.com"
DEFAULT_VERSION = "v1"

# Every record kind the collection installs (crds() builds them in this order).
KINDS = {
    "PodEni": {"plural": "podenis", "singular": "podeni", "short": ["peni"], "mode": "exclusive"},
    "PodEniIP": {"plural": "podeniips", "singular": "podeniip", "short": ["peniip"], "mode": "shared"},
    VPC_IP: {"plural": "vpcips", "singular": "vpcip", "short": ["vpip"], "mode": "shared"},
}
# The kinds that keep a fixed IP for a pod (the zone guard's parameters); a VpcIP never does.
RESERVATION_KINDS = ("PodEni", "PodEniIP")

PHASES = ["Binding", "Bound", "Releasing", "Reserved", "Reclaiming"]
# A VpcIP is bound while its pod runs and freed with it (Reclaiming: a reclaim or audit repair frees it).
VPC_IP_PHASES = ["Binding", "Bound", "Reclaiming"]
RETENTION_PATTERN = r"^(never|([0-9]+[smhd])+)$"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _string(description, **extra):
    schema = {"type": "string", "description": description}
    schema.update(extra)
    return schema


def _spec_schema(mode):
    return {
        "type": "object",
        "required": ["podName", "mode", "fixed", "retention"],
        "properties": {
            "podNamespace": _string("Namespace of the pod that holds (or will hold) the IP."),
            "podName": _string("Name of the pod; a re-created pod with this name gets the same IP."),
            "podUID": _string(
                "UID of the pod that last held the IP; empty for a reservation made before the pod exists."
            ),
            "mode": _string("ENI mode of the reservation.", enum=[mode]),
            "fixed": {
                "type": "boolean",
                "description": "Whether the IP outlives the pod (fixed IP) or is released with it.",
            },
            "ip": _string(
                "The reserved private IPv4 address (set once chosen; a PodEniIP is named after it).", format="ipv4"
            ),
            "subnetId": _string("Subnet of the IP; a fixed IP never moves to another subnet.", pattern=UUID_PATTERN),
            "zone": _string("Availability zone of the subnet, e.g. cn-beijing-6a."),
            "eniId": _string(
                "Exclusive: the pod's own ENI, kept while detached. Shared: the ENI currently holding the IP.",
                pattern=r"^$|" + UUID_PATTERN,
            ),
            "mac": _string("MAC address of the ENI."),
            "retention": _string(
                "How long the IP is kept after the pod is deleted: never, or a duration such as 30m, 24h, 7d.",
                pattern=RETENTION_PATTERN,
            ),
            "statefulSet": _string(
                "StatefulSet that owned the pod; reclaim may follow its ip-retention annotation, its deletion or its scale-down."
            ),
            "eipId": _string(
                "Allocation id of the elastic public IP that goes with the IP: bind associates it with the IP wherever the "
                "IP lands; release and reclaim keep it.",
                pattern=r"^$|" + UUID_PATTERN,
            ),
        },
    }


def _status_schema():
    return {
        "type": "object",
        "properties": {
            "phase": _string(
                "Binding and Releasing record intent before a cloud change; Bound, Reserved, Reclaiming.", enum=PHASES
            ),
            "nodeName": _string("Node the IP is bound to (empty while reserved)."),
            "instanceId": _string("KEC instance of that node."),
            "releasedAt": _string("When the pod was deleted and the IP reserved.", format="date-time"),
            "reclaimAt": _string(
                "When the retention ends and the IP may be reclaimed (empty: never).", format="date-time"
            ),
            "message": _string("Human-readable detail of the last transition."),
        },
    }


def _vpc_ip_spec_schema():
    return {
        "type": "object",
        "required": ["ip", "pod"],
        "properties": {
            "ip": _string("The pod's private IPv4 address (the VpcIP is named after it).", format="ipv4"),
            "subnetId": _string("Subnet of the IP.", pattern=UUID_PATTERN),
            "zone": _string("Availability zone of the subnet, e.g. cn-beijing-6a."),
            "eniId": _string(
                "The shared ENI holding the IP (empty until it is assigned).", pattern=r"^$|" + UUID_PATTERN
            ),
            "mac": _string("MAC address of that ENI."),
            "node": _string("Node of the pod."),
            "instanceId": _string("KEC instance of that node."),
            "pod": {
                "type": "object",
                "description": "The pod that holds the IP; the VpcIP is deleted and the IP released when it is deleted.",
                "required": ["namespace", "name"],
                "properties": {
                    "namespace": _string("Namespace of the pod."),
                    "name": _string("Name of the pod."),
                    "uid": _string("UID of the pod."),
                },
            },
        },
    }


def _vpc_ip_status_schema():
    return {
        "type": "object",
        "properties": {
            "phase": _string(
                "Binding records intent before the IP is assigned; Bound; Reclaiming while a reclaim frees it.",
                enum=VPC_IP_PHASES,
            ),
            "message": _string("Human-readable detail of the last transition."),
        },
    }


def _columns(kind: str):
    if kind == VPC_IP:
        return [
            {"name": "IP", "type": "string", "jsonPath": ".spec.ip"},
            {"name": "Pod", "type": "string", "jsonPath": ".spec.pod.name"},
            {"name": "ENI", "type": "string", "jsonPath": ".spec.eniId"},
            {"name": "Node", "type": "string", "jsonPath": ".spec.node"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ]
    return [
        {"name": "IP", "type": "string", "jsonPath": ".spec.ip"},
        {"name": "ENI", "type": "string", "jsonPath": ".spec.eniId"},
        {"name": "Node", "type": "string", "jsonPath": ".status.nodeName"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Reclaim-At", "type": "date", "jsonPath": ".status.reclaimAt"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]


def crds(group: str = DEFAULT_GROUP, version: str = DEFAULT_VERSION) -> List[Dict[str, Any]]:
    """Every record CRD the collection installs (PodEni, PodEniIP, VpcIP), in ``group``/``version``."""
    return [crd(kind, group, version) for kind in KINDS]


def crd(kind: str, group: str = DEFAULT_GROUP, version: str = DEFAULT_VERSION) -> Dict[str, Any]:
    """The CustomResourceDefinition manifest of PodEni, PodEniIP or VpcIP in ``group``/``version``."""
    if kind not in KINDS:
        raise ValueError("unknown kind %r: expected one of %s" % (kind, ", ".join(sorted(KINDS))))
    names = KINDS[kind]
    columns = _columns(kind)
    if kind == VPC_IP:
        description = "VpcIP: the IP of one pod in shared ENI mode without a fixed IP, released with the pod."
        spec, status = _vpc_ip_spec_schema(), _vpc_ip_status_schema()
    else:
        description = "%s: the fixed-IP reservation of one pod in %s ENI mode." % (kind, names["mode"])
        spec, status = _spec_schema(names["mode"]), _status_schema()
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (names["plural"], group), "labels": {"app.kubernetes.io/part-of": "ksyun.kce"}},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": kind + "List",
                "plural": names["plural"],
                "singular": names["singular"],
                "shortNames": names["short"],
                "categories": ["ksyun"],
            },
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "description": description,
                            "required": ["spec"],
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": spec,
                                "status": status,
                            },
                        }
                    },
                }
            ],
        },
    }
