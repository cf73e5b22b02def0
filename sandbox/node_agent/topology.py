"""Sandbox nodes from the emulator's topology file: one Kubernetes node per KEC instance.

Node name = the instance's primary IP (as on the product page: node 10.0.0.47). An instance with
`vpc_cni: false` becomes a node without the VPC-CNI extended resources and without the label
``k8s.ksyun.com/vpc-cni: "true"`` that the VPC-CNI DaemonSet selects its nodes by.
"""

import yaml

from sandbox.node_agent.nodes import NodeSpec


def node_specs(topology_path) -> list:
    with open(topology_path, encoding="utf-8") as f:
        topo = yaml.safe_load(f)
    types = {t["type"]: t for t in topo.get("instance_types") or []}
    zones = {s["id"]: s["zone"] for s in topo.get("subnets") or []}
    specs = []
    for inst in topo.get("instances") or []:
        itype = types[inst["type"]]
        extension_enis = max(int(itype["eni_quota"]) - 1, 0)  # the primary ENI is not for pods
        secondary_per_eni = max(int(itype["ip_quota"]) - 1, 0)  # nor is each ENI's primary IP
        vpc_cni = inst.get("vpc_cni", True)
        specs.append(
            NodeSpec(
                name=inst["primary_ip"],
                instance_id=inst["id"],
                zone=inst.get("zone") or zones[inst["subnet"]],
                region=topo.get("region", "cn-beijing-6"),
                instance_type=inst["type"],
                internal_ip=inst["primary_ip"],
                eni=extension_enis if vpc_cni else 0,
                eni_private_ip=extension_enis * secondary_per_eni if vpc_cni else 0,
                cpu=str(itype.get("cpu", 8)),
                memory=f"{int(itype.get('memory', 32))}Gi",
                vpc_cni=bool(vpc_cni),
            )
        )
    return specs
