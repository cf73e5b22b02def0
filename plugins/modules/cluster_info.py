#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_info
short_description: List KCE clusters with their VPC-CNI settings and nodes
version_added: 0.1.0
description:
  - Lists Kingsoft Cloud Container Engine (KCE) clusters by id, by exact name, or all clusters of the region.
  - For each cluster it returns its VPC, network type, manage mode, Kubernetes version and status (KCE
    C(DescribeCluster)), its VPC-CNI settings and platform phase (KCE 2.0 C(DescribeClusters)), and its nodes with
    their instance, zone, subnet, instance type, status and security groups (C(DescribeClusterInstance)).
  - An unknown O(cluster_id) fails the task; a O(name) no cluster has returns an empty list.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  cluster_id:
    description:
      - Only this cluster. The task fails when it does not exist.
      - Mutually exclusive with O(name).
    type: str
    aliases: [id]
  name:
    description:
      - Only the clusters with exactly this name (the API's search matches parts of names; the module keeps exact
        matches only).
    type: str
  include_nodes:
    description:
      - List the nodes of each cluster. This costs one paged call per cluster; set V(false) to leave them out.
    type: bool
    default: true
extends_documentation_fragment:
  - ksyun.kce.ksyun.read_only
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
seealso:
  - module: ksyun.kce.cluster_kubeconfig
  - module: ksyun.kce.cluster_vpc_cni
"""

EXAMPLES = r"""
- name: Show the sandbox cluster, its VPC-CNI settings and its nodes
  ksyun.kce.cluster_info:
    cluster_id: 5f2c7a10-0006-4a6e-9c1b-000000000001
  register: kce

- name: The zones of its nodes (pod subnets must be in these zones)
  ansible.builtin.debug:
    msg: "{{ kce.clusters[0].nodes | map(attribute='availability_zone') | unique }}"

- name: Find a cluster by name, without its nodes
  ksyun.kce.cluster_info:
    name: prod
    include_nodes: false
"""

RETURN = r"""
clusters:
  description: The matching clusters, sorted by name and id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The cluster id.
      type: str
      sample: 5f2c7a10-0006-4a6e-9c1b-000000000001
    name:
      description: The cluster name.
      type: str
      sample: sandbox
    vpc_id:
      description: The VPC of the cluster.
      type: str
    vpc_cidr:
      description: The CIDR of that VPC.
      type: str
      sample: 10.0.0.0/16
    network_type:
      description: The cluster network (C(NetworkType)), for example V(Flannel), V(Canal) or V(Calico).
      type: str
    manage_mode:
      description: C(ClusterManageMode), for example V(ManagedCluster) or V(DedicatedCluster).
      type: str
    kubernetes_version:
      description: The Kubernetes version (C(K8sVersion)).
      type: str
      sample: v1.27.7
    status:
      description: The cluster status as KCE reports it, for example V(running), V(not ready) or V(error).
      type: str
    pod_cidr:
      description: The pod CIDR of the cluster network.
      type: str
    service_cidr:
      description: The service CIDR.
      type: str
    node_count:
      description: The number of nodes KCE counts (C(NodeNum)).
      type: int
    phase:
      description: The KCE 2.0 platform phase (C(Status.Phase)), for example V(Running) or V(Updating) while a VPC-CNI
        change is applied; V(null) when the KCE 2.0 API does not list the cluster.
      type: str
    vpc_cni:
      description: The VPC-CNI settings; V(null) when the KCE 2.0 API does not list the cluster.
      type: dict
      contains:
        enabled:
          description: Whether VPC-CNI is on.
          type: bool
        mode:
          description: V(shared) (C(eniMultiIP), pods share ENIs, one secondary IP each) or V(exclusive) (C(eniOnly),
            an ENI per pod); V(null) when off or when the platform reports another mode.
          type: str
        daemon_mode:
          description: The platform's own word for the mode, as read.
          type: str
        subnet_ids:
          description: The pod subnets.
          type: list
          elements: str
        security_group_id:
          description: The security group of the pods' ENIs.
          type: str
    nodes:
      description: The nodes, sorted by instance id; empty with O(include_nodes=false).
      type: list
      elements: dict
      contains:
        instance_id:
          description: The KEC instance of the node.
          type: str
        name:
          description: The Kubernetes node name.
          type: str
          sample: 10.0.0.47
        role:
          description: V(Worker), V(Master), V(Etcd) or V(Master_Etcd).
          type: str
        status:
          description: The node status as KCE reports it, for example V(normal).
          type: str
        availability_zone:
          description: The zone of the instance.
          type: str
        subnet_id:
          description: The subnet of the instance.
          type: str
        vpc_id:
          description: The VPC of the instance.
          type: str
        instance_type:
          description: The instance type.
          type: str
          sample: N3.2B
        private_ip_address:
          description: The primary private IP.
          type: str
        security_groups:
          description: The security groups of its network interface in its subnet.
          type: list
          elements: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.kce import require_cluster


def list_clusters(module):
    params = module.params
    if params["cluster_id"]:
        clusters = [require_cluster(module, with_nodes=params["include_nodes"])]
    else:
        clusters = module.kce.clusters(name=params["name"], with_nodes=params["include_nodes"])
    return {"changed": False, "clusters": [cluster.view() for cluster in clusters]}


def main():
    argument_spec = dict(
        cluster_id=dict(type="str", aliases=["id"]),
        name=dict(type="str"),
        include_nodes=dict(type="bool", default=True),
    )
    KceModule(argument_spec, cloud=True, mutually_exclusive=[["cluster_id", "name"]]).run(list_clusters)


if __name__ == "__main__":
    main()
