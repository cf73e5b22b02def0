"""The add-ons a KCE cluster with VPC-CNI and multus has, installed into the sandbox: ``install_addons``.

``python -m sandbox up`` calls it once the nodes are Ready; ``up --bare`` does not, so the cluster has none of it.
What it applies (the contract the collection's vpc_cni and multus roles keep: the same names and labels):

- the CRDs PodEni / PodEniIP (plugins/module_utils/k8s/crds.py) and the ConfigMap kube-system/ksyun-vpc-cni
  (plugins/module_utils/flows/cluster_config.py keys; the sandbox's values: sandbox/node_agent/vpc_cni.py);
- the CRD network-attachment-definitions.k8s.cni.cncf.io and the NetworkAttachmentDefinition kube-system/vpc-cni;
- the DaemonSet kube-system/ksyun-vpc-cni (pods labelled app.kubernetes.io/name=ksyun-vpc-cni, host network, on
  nodes labelled k8s.ksyun.com/vpc-cni=true) and the DaemonSet kube-system/kube-multus-ds (pods labelled app=multus,
  name=multus, host network, on every Linux node).

No container of these DaemonSets runs: the node agent reports their pods Running on the node's IP, and acts as
VPC-CNI / multus on a node while they are Ready there (sandbox/node_agent/cni.py).
"""

import json
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    config_map_data,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from sandbox.node_agent import cni
from sandbox.node_agent.nodes import VPC_CNI_LABEL
from sandbox.node_agent.topology import node_specs
from sandbox.node_agent.vpc_cni import sandbox_settings

VPC_CNI_IMAGE = "hub.kce.ksyun.com/ksyun/vpc-cni:v1.0.0"
MULTUS_IMAGE = "ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2-thick"
NAD_NAME = "vpc-cni"
NAD_CRD = f"{cni.NAD_PLURAL}.{cni.NAD_GROUP}"
PART_OF = {"app.kubernetes.io/part-of": "ksyun.kce"}


def nad_crd() -> dict:
    """network-attachment-definitions.k8s.cni.cncf.io as the Network Plumbing WG defines it (spec.config: CNI JSON)."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAD_CRD},
        "spec": {
            "group": cni.NAD_GROUP,
            "scope": "Namespaced",
            "names": {
                "plural": cni.NAD_PLURAL,
                "singular": "network-attachment-definition",
                "kind": cni.NAD_KIND,
                "shortNames": ["net-attach-def"],
            },
            "versions": [
                {
                    "name": cni.NAD_VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "apiVersion": {"type": "string"},
                                "kind": {"type": "string"},
                                "metadata": {"type": "object"},
                                "spec": {
                                    "type": "object",
                                    "properties": {"config": {"type": "string"}},
                                },
                            },
                        }
                    },
                }
            ],
        },
    }


def vpc_cni_nad() -> dict:
    net = {"cniVersion": "0.3.1", "name": NAD_NAME, "type": "ksyun-vpc-cni"}
    return {
        "apiVersion": f"{cni.NAD_GROUP}/{cni.NAD_VERSION}",
        "kind": cni.NAD_KIND,
        "metadata": {"name": NAD_NAME, "namespace": cni.ADDON_NAMESPACE, "labels": dict(PART_OF)},
        "spec": {"config": json.dumps(net)},
    }


def daemonset(addon: str) -> dict:
    """The add-on's DaemonSet: host network, tolerates every taint, a pinned image that never runs here."""
    labels = cni.DAEMONSET_LABELS[addon]
    selector = {"kubernetes.io/os": "linux"}
    if addon == cni.VPC_CNI:
        selector[VPC_CNI_LABEL] = "true"
        container = {"name": "vpc-cni", "image": VPC_CNI_IMAGE}
    else:
        container = {
            "name": "kube-multus",
            "image": MULTUS_IMAGE,
            "command": ["/usr/src/multus-cni/bin/multus-daemon"],
        }
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": cni.DAEMONSETS[addon], "namespace": cni.ADDON_NAMESPACE, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "nodeSelector": selector,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [container],
                },
            },
        },
    }


def _apply(create, read, replace, body, *scope) -> None:
    """Create the object, or replace what is there (create-or-update, the way the roles' k8s tasks do it)."""
    name = body["metadata"]["name"]
    try:
        create(*scope, body)
    except ApiException as e:
        if e.status != 409:
            raise
        current = read(name, *scope)
        version = (
            current["metadata"]["resourceVersion"] if isinstance(current, dict) else current.metadata.resource_version
        )
        replace(name, *scope, dict(body, metadata=dict(body["metadata"], resourceVersion=version)))


def _until(what: str, check, deadline: float) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} after the add-ons were applied (sandbox/addons.py)")
        time.sleep(0.2)


def install_addons(kubeconfig, topology, timeout: float = 60.0) -> None:
    """Apply the add-ons (module docstring) and wait until each node that runs VPC-CNI has Ready pods of both
    DaemonSets. Safe to run again: what exists is replaced by the same objects."""
    api = config.new_client_from_config(config_file=str(kubeconfig))
    ext, core, apps = client.ApiextensionsV1Api(api), client.CoreV1Api(api), client.AppsV1Api(api)
    custom = client.CustomObjectsApi(api)
    deadline = time.monotonic() + timeout
    crds = [crd(kind) for kind in sorted(KINDS)] + [nad_crd()]
    for body in crds:
        _apply(
            ext.create_custom_resource_definition,
            ext.read_custom_resource_definition,
            ext.replace_custom_resource_definition,
            body,
        )
    config_map = {
        "metadata": {"name": DEFAULT_NAME, "namespace": DEFAULT_NAMESPACE, "labels": dict(PART_OF)},
        "data": config_map_data(sandbox_settings(topology)),
    }
    _apply(
        core.create_namespaced_config_map,
        core.read_namespaced_config_map,
        core.replace_namespaced_config_map,
        config_map,
        DEFAULT_NAMESPACE,
    )
    for body in crds:
        _until(
            f"CRD {body['metadata']['name']} was not Established",
            lambda n=body["metadata"]["name"]: _established(ext, n),
            deadline,
        )
    nad_args = (cni.NAD_GROUP, cni.NAD_VERSION, cni.ADDON_NAMESPACE, cni.NAD_PLURAL)
    _apply(
        lambda _ns, b: custom.create_namespaced_custom_object(*nad_args, b),
        lambda name, _ns: custom.get_namespaced_custom_object(*nad_args, name),
        lambda name, _ns, b: custom.replace_namespaced_custom_object(*nad_args, name, b),
        vpc_cni_nad(),
        cni.ADDON_NAMESPACE,
    )
    for addon in (cni.VPC_CNI, cni.MULTUS):
        _apply(
            apps.create_namespaced_daemon_set,
            apps.read_namespaced_daemon_set,
            apps.replace_namespaced_daemon_set,
            daemonset(addon),
            cni.ADDON_NAMESPACE,
        )
    nodes = {spec.name for spec in node_specs(topology) if spec.vpc_cni}
    _until(
        f"nodes {sorted(nodes)} did not all have Ready pods of DaemonSets {sorted(cni.DAEMONSETS.values())}",
        lambda: all(nodes <= ready_nodes(core, addon) for addon in cni.DAEMONSETS),
        deadline,
    )


def ready_nodes(core, addon: str) -> set:
    """The nodes with a Ready pod of the add-on's DaemonSet (what the node agent goes by)."""
    selector = ",".join(f"{k}={v}" for k, v in cni.DAEMONSET_LABELS[addon].items())
    listed = core.api_client.sanitize_for_serialization(
        core.list_namespaced_pod(cni.ADDON_NAMESPACE, label_selector=selector)
    )
    return {
        pod["spec"].get("nodeName")
        for pod in listed.get("items") or []
        if cni.addon_of(pod) == addon and cni.ready(pod)
    }


def _established(ext, name) -> bool:
    conditions = ext.read_custom_resource_definition(name).status.conditions or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)
