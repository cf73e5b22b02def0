"""The sandbox cluster's VPC-CNI configuration (the ConfigMap sandbox/addons.py installs, and tests compare with).

It comes from the topology: cluster name ``sandbox``, the topology's security group,
and the container subnets 10.0.0.0/24 (cn-beijing-6a) and 10.0.1.0/24 (cn-beijing-6b).
"""

import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings

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
