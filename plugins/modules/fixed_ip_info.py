#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fixed_ip_info
short_description: List fixed Pod IP reservations and VpcIPs with their cloud and pod state, and the drift between them
version_added: 0.1.0
description:
  - Lists the C(PodEni), C(PodEniIP) and C(VpcIP) records of the cluster (all, one namespace, one pod or one IP; all
    kinds or those of O(kinds)) and joins each with what the cloud and the cluster show now.
  - A C(VpcIP) is not a reservation - it records the IP of a shared ENI mode pod without a fixed IP and goes with its
    pod - but it is listed too, so the IPs of the pod subnets are all accounted for. Its C(reservation) reads like
    that of a C(PodEniIP) with C(fixed=false) and C(retention=never). A cluster whose CRDs predate C(VpcIP) has none
    (and still records such IPs as C(PodEniIP) with C(fixed=false)).
  - "Cloud state: the ENI that holds the IP (shared ENI mode) or the pod's own ENI (exclusive ENI mode), and whether the
    IP is reserved in its subnet (C(AllocateStatus=specific))."
  - "Pod state: whether the pod exists, whether its UID is the one the record names, its node and its IP."
  - Each reservation lists its drift, for example a record that says C(Bound) while the pod is gone, an IP assigned to
    another ENI than the record names, an ENI that is missing from the cloud, or a reserved IP that is neither assigned
    nor reserved in its subnet, or a C(VpcIP) whose pod is gone. This is what the manual reclaim of the product FAQ
    starts from.
  - A reservation with an elastic public IP (C(eipId)) shows that EIP, and drifts when the EIP no longer exists or,
    while the record is C(Bound), is not associated with the record's IP (where its ENI holds it).
  - Reads are batched whatever the number of records - one LIST per kind of record, one LIST of pods, one
    C(DescribeSubnets), one paged C(DescribeNetworkInterfaces) over the records' subnets, and per subnet one read of
    its available and one of its allocated addresses (reserved IPs are not listed by any API call, so they are derived
    from those); and, only when some record has an EIP, one paged C(DescribeAddresses) of those EIPs.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  namespace:
    description:
      - Only the reservations of pods in this namespace.
    type: str
  pod_name:
    description:
      - Only the reservation of this pod; needs O(namespace).
    type: str
  ip:
    description:
      - Only the reservation (or C(VpcIP)) of this IP.
    type: str
  kinds:
    description:
      - Only records of these kinds; by default all three. V([VpcIP]) lists the IPs of pods without a fixed IP,
        V([PodEni, PodEniIP]) only the fixed IP reservations.
    type: list
    elements: str
    choices: [PodEni, PodEniIP, VpcIP]
    default: [PodEni, PodEniIP, VpcIP]
  include_cloud:
    description:
      - Read the cloud state too. With V(false) no KSYUN call is made and no credentials are needed; each result's
        C(cloud) is null and drift is only checked against the pods.
    type: bool
    default: true
  cluster_config:
    description:
      - The ConfigMap holding the cluster's fixed IP configuration, as C(<namespace>/<name>). It gives the cluster
        name (to find an exclusive ENI whose id the record lacks) and the default API group and version.
      - A missing ConfigMap is not an error here.
    type: str
    default: kube-system/ksyun-vpc-cni
extends_documentation_fragment:
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster_and_cloud
  - ksyun.kce.ksyun.read_only
  - ansible.builtin.action_common_attributes
  - ksyun.kce.ksyun
  - ksyun.kce.k8s_auth_options
seealso:
  - module: ksyun.kce.fixed_ip
  - module: ksyun.kce.pod_eni_ip
  - module: ksyun.kce.pod_eni
"""

EXAMPLES = r"""
- name: Every reservation of the cluster, with its cloud and pod state
  ksyun.kce.fixed_ip_info:
  register: fixed_ips

- name: Fail when any reservation has drifted
  ansible.builtin.assert:
    that: fixed_ips.drifted == 0
    fail_msg: "{{ fixed_ips.reservations | rejectattr('in_sync') | map(attribute='drift') | list }}"

- name: Which pod keeps 10.0.0.236 (first step of the manual reclaim)
  ksyun.kce.fixed_ip_info:
    ip: 10.0.0.236
    include_cloud: false

- name: The reservation of one pod
  ksyun.kce.fixed_ip_info:
    namespace: default
    pod_name: sts-0

- name: The IPs of pods without a fixed IP (VpcIPs), e.g. to find one whose pod is gone
  ksyun.kce.fixed_ip_info:
    kinds: [VpcIP]
  register: vpc_ips
"""

RETURN = r"""
reservations:
  description: One entry per record (O(kinds)), by kind, namespace and name.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description:
        - C(PodEniIP) (shared ENI mode), C(PodEni) (exclusive ENI mode), or C(VpcIP) (shared ENI mode without a fixed
          IP, released with its pod).
      type: str
      sample: PodEniIP
    namespace:
      description: Namespace of the record and its pod.
      type: str
      sample: default
    name:
      description: Name of the record (the IP of a C(PodEniIP) or C(VpcIP), the pod's name for a C(PodEni)).
      type: str
      sample: 10.0.0.236
    reservation:
      description: The record's content (spec and status keys together).
      type: dict
      sample:
        podNamespace: default
        podName: sts-0
        podUID: 6f1c8a3e-0d7b-4a52-9a51-3b7f2e1d9c10
        mode: shared
        fixed: true
        ip: 10.0.0.236
        subnetId: 5f2c7a10-0002-4a6e-9c1b-000000000001
        zone: cn-beijing-6a
        eniId: 5f2c7a10-0006-4a6e-9c1b-000000000001
        mac: fa:16:3e:00:00:01
        instanceId: 5f2c7a10-0004-4a6e-9c1b-000000000047
        nodeName: 10.0.0.47
        retention: never
        releasedAt: null
        phase: Bound
    cloud:
      description: What the cloud shows; null with O(include_cloud=false).
      type: dict
      contains:
        subnet_found:
          description: Whether the record's subnet exists.
          type: bool
        ip_reserved:
          description:
            - Whether the IP is reserved (C(AllocateStatus=specific)) in its subnet; null for C(PodEni) (and where the
              cloud cannot list reservations). The IP of a C(VpcIP) should never be (C(drift) says so when it is).
          type: bool
        eni:
          description:
            - The ENI holding the IP (C(PodEniIP)) or the pod's own ENI (C(PodEni)), null if none, with the same keys as
              the C(network_interface) that M(ksyun.kce.eni) returns (C(instance_id) is null while detached).
          type: dict
        eni_holds_ip:
          description: Whether that ENI holds the recorded IP.
          type: bool
        eip:
          description:
            - The record's elastic public IP (C(eipId)), with the same keys as the C(address) that M(ksyun.kce.eip)
              returns; null when the EIP no longer exists.
          type: dict
          returned: when the record has an EIP
    pod:
      description: What the cluster shows of the pod the record names.
      type: dict
      contains:
        exists:
          description: Whether a pod of that namespace and name exists.
          type: bool
        uid:
          description: Its UID.
          type: str
        uid_matches:
          description: Whether it is the pod the record names (same UID).
          type: bool
        node_name:
          description: Its node.
          type: str
        pod_ip:
          description: The IP in its status.
          type: str
        deleting:
          description: Whether it is being deleted.
          type: bool
    drift:
      description: Where the record, the cloud and the pod disagree, one sentence each; empty when in sync.
      type: list
      elements: str
      sample:
        - record says Bound but pod default/sts-0 is gone (its release did not run)
    in_sync:
      description: Whether C(drift) is empty.
      type: bool
drifted:
  description: How many records have drifted.
  returned: always
  type: int
  sample: 0
"""

import dataclasses

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.audit import inspect
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import LABEL_IP, label_value, pod_selector
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, resource
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ALL_KINDS, ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import CLUSTER_CONFIG_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import parse_ipv4
from ansible_collections.ksyun.kce.plugins.module_utils.runner.flow_context import behaviour_of, cluster_config


def gather(module):
    params = module.params
    selector = None
    if params["pod_name"]:
        selector = pod_selector(params["namespace"], params["pod_name"])
    if params["ip"]:
        ip = parse_ipv4(params["ip"])
        selector = ",".join(filter(None, (selector, "%s=%s" % (LABEL_IP, label_value(ip)))))
    config = cluster_config(module, required=False)
    group = params["group"] or (config.crd_group if config else DEFAULT_GROUP)
    version = params["version"] or (config.crd_version if config else DEFAULT_VERSION)
    stored = ReservationStore(module.kube, group, version).list(
        namespace=params["namespace"],
        label_selector=selector,
        kinds=[kind for kind in ALL_KINDS if kind in params["kinds"]],
    )
    listed = as_dict(resource(module.kube, "v1", "Pod").get(namespace=params["namespace"])) if stored else {}
    pods = {}
    for item in listed.get("items") or []:
        snapshot = pod_snapshot(item)
        pods[(snapshot.namespace, snapshot.name)] = snapshot
    cloud = None
    if params["include_cloud"]:
        subnet_ids = sorted({item.reservation.subnet_id for item in stored if item.reservation.subnet_id})
        reader = CloudReader(module.client, behaviour_of(module, config))
        cloud = reader.cloud(subnet_ids) if subnet_ids else CloudSnapshot()
        eip_ids = sorted({item.reservation.eip_id for item in stored if item.reservation.eip_id})
        if eip_ids:
            cloud = dataclasses.replace(cloud, addresses=tuple(reader.addresses(eip_ids)))
    results = inspect(stored, cloud, pods, config.settings.cluster_name if config else "")
    return {"changed": False, "reservations": results, "drifted": sum(1 for r in results if not r["in_sync"])}


def main():
    argument_spec = dict(
        CLUSTER_CONFIG_ARGS,
        namespace={"type": "str"},
        pod_name={"type": "str"},
        ip={"type": "str"},
        include_cloud={"type": "bool", "default": True},
        kinds={"type": "list", "elements": "str", "choices": list(ALL_KINDS), "default": list(ALL_KINDS)},
    )
    KceModule(argument_spec, cloud=True, cluster=True, required_by={"pod_name": "namespace"}).run(gather)


if __name__ == "__main__":
    main()
