"""The KCE test topology: the default sandbox topology (its cluster `sandbox` and the five KEC instances as its nodes)
plus what the refusals need: a second VPC with a subnet, a security group and a cluster of its own (no node, API server
not exposed, a name that contains "sandbox"), and a subnet of the cluster's VPC in a zone where it has no node."""

import copy

import yaml
from kce_cloud import TOPOLOGY

CLUSTER = "5f2c7a10-0006-4a6e-9c1b-000000000001"
CLUSTER_NAME = "sandbox"
OTHER_CLUSTER = "5f2c7a10-0006-4a6e-9c1b-000000000002"
OTHER_CLUSTER_NAME = "sandbox-other"
OTHER_VPC = "5f2c7a10-0001-4a6e-9c1b-000000000002"
SUBNET_OTHER_VPC = "5f2c7a10-0002-4a6e-9c1b-000000000902"
SUBNET_6C = "5f2c7a10-0002-4a6e-9c1b-000000000006"
SG_OTHER_VPC = "5f2c7a10-0003-4a6e-9c1b-000000000902"
UNKNOWN_CLUSTER = "5f2c7a10-0006-4a6e-9c1b-00000000dead"

_BASE = yaml.safe_load(TOPOLOGY.read_text(encoding="utf-8"))


def kce_topology():
    """A fresh dict of the KCE test topology."""
    topo = copy.deepcopy(_BASE)
    topo["vpcs"].append({"id": OTHER_VPC, "name": "other-vpc", "cidr": "10.9.0.0/16"})
    topo["subnets"] += [
        {
            "id": SUBNET_OTHER_VPC,
            "name": "other-6a",
            "cidr": "10.9.0.0/24",
            "zone": "cn-beijing-6a",
            "type": "Normal",
            "vpc_id": OTHER_VPC,
        },
        {"id": SUBNET_6C, "name": "kce-container-6c", "cidr": "10.0.4.0/24", "zone": "cn-beijing-6c", "type": "Normal"},
    ]
    topo["security_groups"].append(
        {"id": SG_OTHER_VPC, "name": "other-sg", "description": "another VPC's group", "vpc_id": OTHER_VPC, "rules": []}
    )
    topo["kce"]["clusters"].append(
        {
            "id": OTHER_CLUSTER,
            "name": OTHER_CLUSTER_NAME,
            "manage_mode": "DedicatedCluster",
            "network_type": "Calico",
            "vpc_id": OTHER_VPC,
            "instances": [],
            "expose": False,
        }
    )
    return topo
