"""The VPC-CNI add-on's cluster objects for the sandbox: the PodEni/PodEniIP CRDs and the fixed-IP ConfigMap.

The configuration comes from the topology: cluster name ``sandbox``, the topology's security group,
and the container subnets 10.0.0.0/24 (cn-beijing-6a) and 10.0.1.0/24 (cn-beijing-6b).
"""

import time

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    config_map_data,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd

CLUSTER_NAME = "sandbox"
POD_SUBNET_CIDRS = {"cn-beijing-6a": ("10.0.0.0/24",), "cn-beijing-6b": ("10.0.1.0/24",)}


def sandbox_settings(topology_path) -> Settings:
    """The fixed-IP settings the sandbox cluster runs with, resolved against the topology's ids."""
    with open(topology_path, encoding="utf-8") as f:
        topo = yaml.safe_load(f)
    by_cidr = {s["cidr"]: s for s in topo.get("subnets") or []}
    subnets = {}
    for zone, cidrs in POD_SUBNET_CIDRS.items():
        missing = [cidr for cidr in cidrs if cidr not in by_cidr]
        if missing:
            raise ValueError(f"topology {topology_path} has no subnet {', '.join(missing)} for zone {zone}")
        subnets[zone] = tuple(by_cidr[cidr]["id"] for cidr in cidrs)
    groups = tuple(g["id"] for g in (topo.get("security_groups") or [])[:1])
    return Settings(cluster_name=CLUSTER_NAME, security_group_ids=groups, pod_subnets=subnets)


def install(kubeconfig, topology_path, timeout=60.0) -> Settings:
    """Create (or update) the CRDs and the ConfigMap, and wait until both kinds are served."""
    api = config.new_client_from_config(config_file=str(kubeconfig))
    ext, core = client.ApiextensionsV1Api(api), client.CoreV1Api(api)
    for kind in KINDS:
        body = crd(kind)
        try:
            ext.create_custom_resource_definition(body)
        except ApiException as e:
            if e.status != 409:
                raise
            current = ext.read_custom_resource_definition(body["metadata"]["name"])
            body["metadata"]["resourceVersion"] = current.metadata.resource_version
            ext.replace_custom_resource_definition(body["metadata"]["name"], body)
    settings = sandbox_settings(topology_path)
    config_map = {
        "metadata": {
            "name": DEFAULT_NAME,
            "namespace": DEFAULT_NAMESPACE,
            "labels": {"app.kubernetes.io/part-of": "ksyun.kce"},
        },
        "data": config_map_data(settings),
    }
    try:
        core.create_namespaced_config_map(DEFAULT_NAMESPACE, config_map)
    except ApiException as e:
        if e.status != 409:
            raise
        core.replace_namespaced_config_map(DEFAULT_NAME, DEFAULT_NAMESPACE, config_map)
    deadline = time.monotonic() + timeout
    names = [crd(kind)["metadata"]["name"] for kind in KINDS]
    while not all(_established(ext, name) for name in names):
        if time.monotonic() > deadline:
            raise RuntimeError(f"CRDs {', '.join(names)} were not Established after {timeout:.0f}s")
        time.sleep(0.2)
    return settings


def _established(ext, name) -> bool:
    conditions = ext.read_custom_resource_definition(name).status.conditions or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)
