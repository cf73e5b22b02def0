#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fixed_ip
short_description: Pre-provision, bind or release the fixed Pod IPs of KCE VPC-CNI pods
version_added: 0.1.0
description:
  - Manages the fixed IP reservations of one or many pods of a KCE cluster with VPC-CNI fixed Pod IP
    (StatefulSet and static pods), in the cloud and in the cluster's C(PodEni)/C(PodEniIP) records together.
  - O(state=reserved) pre-provisions a reservation B(before the pod exists), so an IP can be put on an
    allow-list first (the product's "security policies that admit only pre-authorised IPs").
    With O(reservations[].ip) the chosen IP must lie in a pod subnet of the pod's zone and be free; without it
    the first free IP of the zone's pod subnets is taken. In shared ENI mode the IP is marked reserved in its
    subnet (C(AllocateStatus=specific)), so random allocation never hands it out; in exclusive ENI mode a
    detached ENI named for the pod is created with the IP as its primary IP. The record (a C(PodEniIP) named
    after the IP, or a C(PodEni) named after the pod) is written first, with phase C(Reserved) and an empty
    pod UID. When the pod is created, VPC-CNI binds the reservation and the pod gets that IP.
  - A pod that already has a reservation keeps it. A rerun changes nothing and makes no cloud write; it only
    finishes what a failed run left (for example the cloud reservation after the record) and applies a new
    O(reservations[].retention).
  - O(state=bound) and O(state=released) run the bind and release flows of VPC-CNI for existing pods, the
    way the node's VPC-CNI does when a pod is created or deleted (product page, "How fixed IP works
    inside"). A live pod's IP is never released. Use them to finish a flow a node could not, or to
    preview one in check mode.
  - The pod subnets per zone, the security groups of new ENIs, the cluster name (which starts every ENI
    name) and the default retention come from the cluster configuration ConfigMap O(cluster_config).
  - Reads are batched whatever the number of pods; shared-ENI allocation is serialised with other
    processes of this collection by a Lease per subnet (C(kube-system/kcefip-subnet-<subnet id>)).
  - All input is checked (IP format, retention, names, zone, subnet, free IP) before anything is written.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  state:
    description:
      - V(reserved) pre-provisions the reservations.
      - V(bound) gives each existing, scheduled pod its IP on its node.
      - V(released) does to each terminating or deleted pod's reservation what the pod's deletion does;
        a fixed IP stays reserved for the pod, a non-fixed one is freed.
    type: str
    choices: [reserved, bound, released]
    default: reserved
  reservations:
    description:
      - The pods to act on, each with its own options. Use this or O(namespace) and O(pod_name).
    type: list
    elements: dict
    aliases: [pods]
    suboptions:
      namespace:
        description: Namespace of the pod.
        type: str
        required: true
      pod_name:
        description: Name of the pod, for example V(sts-0) (the first pod of StatefulSet C(sts)).
        type: str
        required: true
      mode:
        description:
          - V(shared) (a secondary IP of a shared ENI, annotation C(k8s.ksyun.com/pod-eniip)) or
            V(exclusive) (an ENI of its own, annotation C(k8s.ksyun.com/pod-eni)).
          - Only with O(state=reserved).
        type: str
        choices: [shared, exclusive]
        default: shared
      zone:
        description:
          - The availability zone the pod will run in, for example V(cn-beijing-6a). A fixed IP never leaves
            its zone, so schedule the pod there.
          - May be left out when only one zone has pod subnets, or when O(reservations[].ip) or
            O(reservations[].subnet_id) determines it.
          - Only with O(state=reserved).
        type: str
      ip:
        description:
          - The IP to reserve. It must be free and lie in a pod subnet of the zone, and must not be its network,
            gateway or broadcast address.
          - Left out, the first free IP of the zone's pod subnets is taken.
          - Only with O(state=reserved).
        type: str
      subnet_id:
        description:
          - The pod subnet to take the IP from; one of the zone's pod subnets.
          - Only with O(state=reserved).
        type: str
      retention:
        description:
          - How long the IP is kept after the pod is deleted before reclaim may free it (the IP reclaim policy),
            either V(never) or a duration such as V(30m), V(24h), V(7d).
          - Left out, a new reservation gets the cluster's default (C(ipRetention) of O(cluster_config), by
            default V(never)) and an existing one keeps its own.
          - Only with O(state=reserved).
        type: str
      eip:
        description:
          - Give the IP an elastic public IP (EIP) of its own, allocated with O(eip_allocation) and named
            C(kcefip_<cluster>_eip_<namespace>_<pod>) (tag C(ksyun-kce-name)), so a rerun finds it instead of
            allocating another. The record keeps its allocation id (C(eipId)).
          - The EIP is associated with the IP as soon as a pod holds it (right away when the record is C(Bound),
            else when the pod binds). A reservation that has an EIP keeps it; reclaim keeps it too unless told to
            release it.
          - Only with O(state=reserved).
        type: bool
      eip_id:
        description:
          - The allocation id of an existing EIP to go with the IP instead of a new one. It must exist, go with no
            other reservation, and be associated with nothing else (or already with this IP).
          - Only with O(state=reserved).
        type: str
  namespace:
    description:
      - Namespace of one pod; shorthand for a one-item O(reservations).
    type: str
  pod_name:
    description:
      - Name of one pod; shorthand for a one-item O(reservations).
    type: str
  mode:
    description:
      - ENI mode of the one pod, see O(reservations[].mode).
    type: str
    choices: [shared, exclusive]
    default: shared
  zone:
    description:
      - Zone of the one pod, see O(reservations[].zone).
    type: str
  ip:
    description:
      - IP of the one pod, see O(reservations[].ip).
    type: str
  subnet_id:
    description:
      - Subnet of the one pod, see O(reservations[].subnet_id).
    type: str
  retention:
    description:
      - Retention of the one pod, see O(reservations[].retention).
    type: str
  eip:
    description:
      - An EIP for the one pod, see O(reservations[].eip).
    type: bool
  eip_id:
    description:
      - The existing EIP of the one pod, see O(reservations[].eip_id).
    type: str
  eip_allocation:
    description:
      - How the EIPs that O(reservations[].eip) asks for are allocated (the API's C(AllocateAddress)).
    type: dict
    suboptions:
      band_width:
        description: Bandwidth in Mbps.
        type: int
        default: 1
      line_id:
        description: The line (C(LineId)); the region's default line when left out.
        type: str
      charge_type:
        description: How the EIP is billed (C(ChargeType)); the API's default when left out. V(Monthly) needs O(eip_allocation.purchase_time).
        type: str
        choices: [Monthly, Peak, Daily, TrafficMonthly, DailyPaidByTransfer, HourlyInstantSettlement]
      purchase_time:
        description: Months to buy, for O(eip_allocation.charge_type=Monthly).
        type: int
      project_id:
        description: The project of the EIP; the default project when left out.
        type: str
  cluster_config:
    description:
      - The ConfigMap holding the cluster's fixed IP configuration, as C(<namespace>/<name>).
      - It has the keys C(clusterName), C(securityGroupIds), C(podSubnets) (JSON, zone to subnet ids), C(ipRetention)
        and optionally C(crdGroup) and C(crdVersion).
    type: str
    default: kube-system/ksyun-vpc-cni
  project_ids:
    description:
      - The KSYUN projects of the nodes' instances (O(state=bound) reads them). The API searches only the
        default project V(0) unless projects are given.
    type: list
    elements: int
  lock_timeout:
    description:
      - Seconds to wait for the allocation lock of a subnet that another process holds.
    type: int
    default: 60
  wait_timeout:
    description:
      - Seconds to wait for one ENI to finish attaching or detaching.
    type: int
    default: 120
extends_documentation_fragment:
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster_and_cloud
  - ansible.builtin.action_common_attributes
  - ksyun.kce.ksyun
  - ksyun.kce.k8s_auth_options
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written to the cloud or the cluster, and no lock is taken; each result's C(actions) lists what
        would be done.
  diff_mode:
    support: full
    details:
      - The diff shows each reservation record before and after, by kind, namespace and name.
notes:
  - The container subnets must not be shared with other clusters or services, so that reserved IPs are never
    taken (a requirement of the product).
  - Deleting a pre-provisioned reservation is reclaim's job (retention), or by hand as the product FAQ says;
    M(ksyun.kce.fixed_ip_info) shows every reservation with its cloud state.
seealso:
  - module: ksyun.kce.fixed_ip_info
  - module: ksyun.kce.pod_eni_ip
  - module: ksyun.kce.pod_eni
  - module: ksyun.kce.fixed_ip_crds
"""

EXAMPLES = r"""
- name: Reserve 10.0.0.236 for sts-0 before the StatefulSet exists, to allow-list it first
  ksyun.kce.fixed_ip:
    namespace: default
    pod_name: sts-0
    zone: cn-beijing-6a
    ip: 10.0.0.236
    retention: 7d

- name: Reserve IPs for three replicas at once, chosen from the zone's free addresses
  ksyun.kce.fixed_ip:
    reservations:
      - {namespace: db, pod_name: mysql-0, zone: cn-beijing-6a}
      - {namespace: db, pod_name: mysql-1, zone: cn-beijing-6a}
      - {namespace: db, pod_name: mysql-2, zone: cn-beijing-6a}
  register: reserved

- name: Put them on the allow-list
  ansible.builtin.debug:
    msg: "{{ reserved.reservations | map(attribute='reservation.ip') | list }}"

- name: Reserve IPs with an elastic public IP each (5 Mbps), for partners that allow-list public IPs
  ksyun.kce.fixed_ip:
    reservations:
      - {namespace: edge, pod_name: gw-0, zone: cn-beijing-6a, eip: true}
      - {namespace: edge, pod_name: gw-1, zone: cn-beijing-6a, eip: true}
    eip_allocation:
      band_width: 5

- name: Or give a pod an EIP that exists already
  ksyun.kce.fixed_ip:
    namespace: edge
    pod_name: gw-2
    zone: cn-beijing-6a
    eip_id: 9c3f6a10-7d4e-4b2a-8f1c-0d5e6a7b8c9d

- name: Preview what releasing a deleted pod's IP would do
  ksyun.kce.fixed_ip:
    state: released
    namespace: default
    pod_name: sts-0
  check_mode: true
"""

RETURN = r"""
reservations:
  description: One entry per pod, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    namespace:
      description: Namespace of the pod.
      type: str
      sample: default
    pod_name:
      description: Name of the pod.
      type: str
      sample: sts-0
    kind:
      description:
        - Kind of the pod's record, C(PodEniIP) (shared), C(PodEni) (exclusive) or C(VpcIP) (shared, a pod without a
          fixed IP); empty if it has none.
      type: str
      sample: PodEniIP
    name:
      description: Name of the record (the IP for a C(PodEniIP) or C(VpcIP), the pod's name for a C(PodEni)).
      type: str
      sample: 10.0.0.236
    changed:
      description: Whether anything was (or in check mode would be) done for this pod.
      type: bool
    actions:
      description: What was done (in check mode, what would be done), one line per step, in order.
      type: list
      elements: str
      sample:
        - "write PodEniIP default/10.0.0.236: phase Reserved, pod default/sts-0, IP 10.0.0.236"
        - "reserve IP 10.0.0.236 in subnet 5f2c7a10-0002-4a6e-9c1b-000000000001 (AllocateStatus=specific)"
    reservation:
      description:
        - The reservation after the task, as stored in the record (spec and status keys together); null if the pod has none.
        - In check mode, values only a cloud call would tell read like C(<new-eni.mac>).
      type: dict
      sample:
        podNamespace: default
        podName: sts-0
        podUID: ""
        mode: shared
        fixed: true
        ip: 10.0.0.236
        subnetId: 5f2c7a10-0002-4a6e-9c1b-000000000001
        zone: cn-beijing-6a
        eniId: ""
        mac: ""
        instanceId: ""
        nodeName: ""
        retention: 7d
        eipId: ""
        releasedAt: null
        phase: Reserved
    reason:
      description: Why less than asked was done, for example that the pod's IP is bound already.
      type: str
    warnings:
      description: What needs a look, for example an EIP of the reservation that is associated elsewhere.
      type: list
      elements: str
      returned: when O(state) is V(reserved)
    flow:
      description: V(bind) or V(release) (O(state=bound) and O(state=released) only).
      type: str
      returned: when O(state) is V(bound) or V(released)
    skipped:
      description: Steps left to the node's VPC-CNI, such as writing the pod's network.
      type: list
      elements: str
      returned: when O(state) is V(bound) or V(released)
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reserve import EipSpec, ReserveRequest
from ansible_collections.ksyun.kce.plugins.module_utils.flows.batch import run_flow, run_reserved
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import CLUSTER_CONFIG_ARGS, EIP_ALLOCATION_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import (
    check_id,
    check_pod,
    check_positive,
    parse_ipv4,
    parse_retention,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner.flow_context import flow_context

ITEM_SPEC = {
    "namespace": {"type": "str", "required": True},
    "pod_name": {"type": "str", "required": True},
    "mode": {"type": "str", "choices": ["shared", "exclusive"], "default": "shared"},
    "zone": {"type": "str"},
    "ip": {"type": "str"},
    "subnet_id": {"type": "str"},
    "retention": {"type": "str"},
    "eip": {"type": "bool"},
    "eip_id": {"type": "str"},
}
RESERVE_ONLY = ("zone", "ip", "subnet_id", "retention", "eip", "eip_id")


def _items(params):
    if params["reservations"] is not None:
        return [(("reservations[%d]." % index), dict(item)) for index, item in enumerate(params["reservations"])]
    return [("", {key: params[key] for key in ITEM_SPEC})]


def eip_spec(params):
    """How new EIPs are allocated, from eip_allocation (checked before anything is read or written)."""
    given = {key: value for key, value in (params.get("eip_allocation") or {}).items() if value is not None}
    check_positive("eip_allocation.band_width", given.get("band_width"), 1)
    check_positive("eip_allocation.purchase_time", given.get("purchase_time"), 1)
    if given.get("charge_type") == "Monthly" and not given.get("purchase_time"):
        raise ModuleError(
            "eip_allocation.purchase_time: charge_type Monthly needs the number of months to buy; give purchase_time"
        )
    return EipSpec(**given)


def _request(prefix, item, spec=EipSpec()):
    """A ReserveRequest from one item, refusing malformed values with the option's name."""
    check_pod(item["namespace"], item["pod_name"], prefix)
    check_id(prefix + "subnet_id", item.get("subnet_id"))
    check_id(prefix + "eip_id", item.get("eip_id"))
    if item.get("eip") and item.get("eip_id"):
        raise ModuleError(
            "%seip and %seip_id: give one, not both (eip_id %s names an existing EIP, eip=true allocates a new one)"
            % (prefix, prefix, item["eip_id"])
        )
    retention = parse_retention(item.get("retention"), prefix)
    ip = parse_ipv4(item["ip"], prefix + "ip") if item.get("ip") else ""
    return ReserveRequest(
        namespace=item["namespace"],
        pod_name=item["pod_name"],
        mode=Mode(item.get("mode") or "shared"),
        zone=item.get("zone") or "",
        ip=ip,
        subnet_id=item.get("subnet_id") or "",
        retention=retention,
        eip=bool(item.get("eip")),
        eip_id=item.get("eip_id") or "",
        eip_spec=spec,
    )


def _pods(params):
    pods = []
    for prefix, item in _items(params):
        given = [key for key in RESERVE_ONLY if item.get(key) not in (None, "")]
        if given:
            raise ModuleError(
                "%s%s: only used with state=reserved, not state=%s; leave it out" % (prefix, given[0], params["state"])
            )
        _request(prefix, item)
        pods.append((item["namespace"], item["pod_name"]))
    return pods


def ensure(module):
    params = module.params
    if params["state"] == "reserved":
        spec = eip_spec(params)
        requests = [_request(prefix, item, spec) for prefix, item in _items(params)]
    else:
        if params["eip_allocation"] is not None:
            raise ModuleError(
                "eip_allocation: only used with state=reserved, not state=%s; leave it out" % params["state"]
            )
        pods = _pods(params)
    ctx = flow_context(module, lock_timeout=params["lock_timeout"], eni_wait_timeout=params["wait_timeout"])
    if params["state"] == "reserved":
        results, diff = run_reserved(ctx, requests, module.check_mode)
    else:
        results, diff = run_flow(ctx, params["state"], pods, module.check_mode)
    for item in results:
        for warning in item.get("warnings") or []:
            module.warn(warning)
    return module.result(any(item["changed"] for item in results), diff["before"], diff["after"], reservations=results)


def main():
    argument_spec = dict(
        CLUSTER_CONFIG_ARGS,
        state={"type": "str", "choices": ["reserved", "bound", "released"], "default": "reserved"},
        reservations={"type": "list", "elements": "dict", "options": ITEM_SPEC, "aliases": ["pods"]},
        project_ids={"type": "list", "elements": "int"},
        lock_timeout={"type": "int", "default": 60},
        wait_timeout={"type": "int", "default": 120},
        eip_allocation={
            "type": "dict",
            "options": dict(EIP_ALLOCATION_ARGS, band_width={"type": "int", "default": 1}),
        },
        **{key: dict(spec, required=False) for key, spec in ITEM_SPEC.items()},
    )
    module = KceModule(
        argument_spec,
        cloud=True,
        cluster=True,
        mutually_exclusive=[("reservations", "pod_name"), ("reservations", "namespace")],
        required_one_of=[("reservations", "pod_name")],
        required_together=[("namespace", "pod_name")],
    )
    module.run(ensure)


if __name__ == "__main__":
    main()
