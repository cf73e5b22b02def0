#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: preflight_info
short_description: Check which of the collection's conventions a cluster has, and what the collection will do there
version_added: 0.1.0
description:
  - Reads, without writing anything, what the collection's modules and roles depend on in the cluster, and returns one
    check per convention with what was found and what the collection will and will not do there.
  - C(config_map) is the VPC-CNI configuration O(cluster_config), read with the parser the modules and the node's VPC-CNI
    use; a value it refuses is a V(blocker).
  - C(crd_podeni), C(crd_podeniip) (one per record kind of the collection) compare the cluster's CRD of the same name
    with the collection's own definition in the API group and version of the configuration (or O(group), O(version)).
    A CRD that does not serve that version, lacks a field the collection reads or writes, has no status subresource, or
    was not installed by the collection (no label C(app.kubernetes.io/part-of=ksyun.kce)) is a V(blocker) that names
    its field managers.
  - C(multus) lists the DaemonSets of any namespace running a multus image and who installed them, with the
    C(network-attachment-definitions.k8s.cni.cncf.io) CRD; C(vpc_cni_network) is the C(kube-system/vpc-cni)
    NetworkAttachmentDefinition and its CNI type.
  - C(vpc_cni_nodes) counts the nodes O(node_selector) selects, per zone; C(node_resources) their allocatable
    C(ksyun/eni-private-ip) and C(ksyun/eni); C(zones) compares their zones with the container subnets of the
    configuration.
  - C(zone_guard) says whether the cluster serves C(admissionregistration.k8s.io/v1) MutatingAdmissionPolicy (API
    discovery), which the zone guard of the C(vpc_cni) role needs, and whether its policies are installed.
  - The cloud's part (KCE's VpcCNI, the container subnets' free IPs, records that disagree with the cloud) comes from
    M(ksyun.kce.cluster_info), M(ksyun.kce.subnet_info) and M(ksyun.kce.fixed_ip_audit); the C(ksyun.kce.preflight)
    playbook runs them all and prints one report.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  cluster_config:
    description:
      - The ConfigMap holding the cluster's fixed IP configuration, as C(<namespace>/<name>). A missing ConfigMap is a
        check of status V(absent), not an error.
    type: str
    default: kube-system/ksyun-vpc-cni
  group:
    description:
      - API group of the records' CRDs to check. Left out, C(crdGroup) of O(cluster_config), else V(k8s.ksyun.com).
    type: str
  version:
    description:
      - API version of the records' CRDs to check. Left out, C(crdVersion) of O(cluster_config), else V(v1).
    type: str
  node_selector:
    description:
      - The labels of the nodes that run VPC-CNI (the C(vpc_cni) role's O(ksyun.kce.vpc_cni#role:main:vpc_cni_node_selector)).
    type: dict
    default:
      k8s.ksyun.com/vpc-cni: "true"
  field_manager:
    description:
      - The server-side apply field manager of the collection's roles; an object it manages counts as the collection's.
    type: str
    default: ksyun.kce
extends_documentation_fragment:
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster
  - ksyun.kce.ksyun.read_only
  - ansible.builtin.action_common_attributes
  - ksyun.kce.k8s_auth_options
seealso:
  - module: ksyun.kce.fixed_ip_audit
  - module: ksyun.kce.fixed_ip_crds
  - module: ksyun.kce.subnet_info
"""

EXAMPLES = r"""
- name: Check the cluster before the first write
  ksyun.kce.preflight_info:
  register: preflight

- name: Stop on a blocker
  ansible.builtin.assert:
    that: preflight.checks | selectattr('status', 'equalto', 'blocker') | list | length == 0
    fail_msg: "{{ preflight.checks | selectattr('status', 'equalto', 'blocker') | map(attribute='found') | join('; ') }}"

- name: The same for the records of another API group
  ksyun.kce.preflight_info:
    group: fixed-ip.k8s.ksyun.com
"""

RETURN = r"""
checks:
  description: One check per convention, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The convention, for example V(config_map), V(crd_podeniip), V(multus), V(zone_guard).
      type: str
    status:
      description: V(ok), V(warn), V(blocker) (the collection must not write there as configured) or V(absent) (not
        there yet; the collection's roles put it there).
      type: str
    found:
      description: What the cluster has.
      type: str
    will:
      description: What the collection will do there.
      type: str
    will_not:
      description: What it will not do there, and why.
      type: str
  sample:
    - name: crd_podeniip
      status: blocker
      found: "CRD podeniips.k8s.ksyun.com: it serves v1alpha1, not v1; it belongs to someone else (field manager
        kubectl-create, no label app.kubernetes.io/part-of=ksyun.kce)"
      will: nothing with this API group
      will_not: write PodEniIP records in k8s.ksyun.com/v1 into it
config:
  description: The configuration as the parser read it (C(found), C(error), C(cluster_name), C(pod_subnets), ...).
  returned: always
  type: dict
crd_group:
  description: The API group the records' CRDs were checked in.
  returned: always
  type: str
crd_version:
  description: The API version the records' CRDs were checked in.
  returned: always
  type: str
pod_subnet_ids:
  description: Every container subnet the configuration names, for M(ksyun.kce.subnet_info).
  returned: always
  type: list
  elements: str
node_names:
  description: The names of the cluster's nodes, to compare with the nodes KCE lists for a cluster id.
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.runner.preflight import run_preflight_module


def main():
    run_preflight_module()


if __name__ == "__main__":
    main()
