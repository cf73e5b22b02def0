"""Sandbox nodes from the emulator's topology file: one Kubernetes node per KEC instance.

Node name = the instance's primary IP (as on the product page: node 10.0.0.47). An instance with
`vpc_cni: false` becomes a node without the VPC-CNI extended resources and without the label
``k8s.ksyun.com/vpc-cni: "true"`` that the VPC-CNI DaemonSet selects its nodes by.

The ENI and pod IP counts are what an empty node of the instance type offers, counted with CloudBehaviour's defaults
(the emulator's): the node registers with them, and the device plugin (devices.py) keeps them in step with the cloud.
"""

import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import eni_capacity, pod_ip_capacity
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import NodeSnapshot
from sandbox.node_agent.nodes import NodeSpec


def node_specs(topology_path) -> list:
    with open(topology_path, encoding="utf-8") as f:
        topo = yaml.safe_load(f)
    types = {t["type"]: t for t in topo.get("instance_types") or []}
    zones = {s["id"]: s["zone"] for s in topo.get("subnets") or []}
    specs = []
    for inst in topo.get("instances") or []:
        itype = types[inst["type"]]
        zone = inst.get("zone") or zones[inst["subnet"]]
        empty = NodeSnapshot(
            inst["primary_ip"], inst["id"], zone, inst["type"], int(itype["eni_quota"]), int(itype["ip_quota"])
        )
        vpc_cni = inst.get("vpc_cni", True)
        specs.append(
            NodeSpec(
                name=inst["primary_ip"],
                instance_id=inst["id"],
                zone=zone,
                region=topo.get("region", "cn-beijing-6"),
                instance_type=inst["type"],
                internal_ip=inst["primary_ip"],
                eni=eni_capacity(empty, CloudBehaviour()) if vpc_cni else 0,
                eni_private_ip=pod_ip_capacity(empty, CloudBehaviour()) if vpc_cni else 0,
                cpu=str(itype.get("cpu", 8)),
                memory=f"{int(itype.get('memory', 32))}Gi",
                vpc_cni=bool(vpc_cni),
            )
        )
    return specs
