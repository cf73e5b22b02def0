#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fixed_ip_reclaim
short_description: Carry out the fixed Pod IP reclaim policy, sweep leaks, or free one reservation by hand
version_added: 0.1.0
description:
  - Without O(ip) and O(pod_name), carries out the IP reclaim policy of KCE VPC-CNI (product page, "IP reclaim
    policy"). A reservation whose pod has been gone longer than its retention is freed. In exclusive ENI mode its
    ENI is deleted; in shared ENI mode its IP is unassigned and unreserved in its subnet (C(AllocateStatus=random)).
    Then the C(PodEni)/C(PodEniIP) record is deleted. The record is marked C(Reclaiming) first, so a run that
    stops is finished by the next one.
  - The retention of a reservation is the cluster policy it was made with (C(ipRetention) of the cluster
    configuration, V(never) by default, as on the product page). The annotation C(k8s.ksyun.com/ip-retention)
    on the pod's StatefulSet overrides it (the C(ksyun.kce.fixed_ip_statefulset) role can set it).
  - A C(VpcIP) (the IP of a shared ENI mode pod without a fixed IP) is no reservation, has no retention and is never
    kept. One whose pod (by UID) is gone - its release never ran - is freed at once as that release would (the
    product page's shared mode, step 1), its IP unassigned (never reserved) and the record deleted. So is a
    C(PodEniIP) with C(fixed=false), the form such IPs were recorded in before C(VpcIP).
  - A record deleted with C(kubectl delete) or with its namespace is freed at once. Its finalizer
    C(k8s.ksyun.com/release-ip) keeps it until then, so no IP or ENI is ever left without a record.
  - Beyond the product page, and off by default, O(statefulset_deleted) frees the reservations of a deleted
    StatefulSet and O(scaled_down) those of ordinals at or above C(replicas), whatever their retention.
    O(sweep_reserved_ips) unreserves subnet IPs no record keeps, and O(sweep_idle_shared_enis) deletes shared
    ENIs that hold no pod IP. ENIs named by this collection for this cluster that no record refers to are
    always deleted once they are older than O(min_orphan_age).
  - With O(ip) or O(pod_name), the product FAQ's emergency reclaim is automated. The reservation of that IP or
    pod is freed now, whatever its retention. This is refused while a running pod uses it, unless O(force=true).
  - A reservation's elastic public IP (C(spec.eipId)) is kept and listed in RV(eips_kept), because its public IP may
    be in someone's allow-list. With O(release_eips=true), in both modes, it is disassociated and released first,
    while the record still names it, then the private IP is freed; an EIP moved to something other than the
    record's IP is kept (RV(eips_kept) says where it is), and one that no longer exists is skipped.
  - Right before each item is freed, the pods are read again under the subnet's allocation lock (the Lease binds
    take), and the item is kept if a live pod (by UID) holds it now. Reads are batched whatever the number of
    reservations. Items are freed O(concurrency) at a time. A rerun finds nothing due and makes no mutating call.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  ip:
    description:
      - Free the reservation of this IP now (the product FAQ's manual reclaim). It must lie in a container subnet.
      - Cannot be combined with O(pod_name).
    type: str
  namespace:
    description:
      - With O(pod_name), the pod's namespace. With O(ip), look for the record in this namespace only.
    type: str
  pod_name:
    description:
      - Free the reservation of this pod now (the product FAQ's manual reclaim). Needs O(namespace).
    type: str
  force:
    description:
      - With O(ip) or O(pod_name), free the reservation even while a running pod uses it; that pod loses its network.
    type: bool
    default: false
  min_orphan_age:
    description:
      - An ENI this collection created for this cluster that no record refers to is deleted only once it is at least
        this old (a bind may be using a younger one), for example V(30m), V(1h) or V(1d).
    type: str
    default: 1h
  sweep_reserved_ips:
    description:
      - Unreserve subnet IPs that are reserved (C(AllocateStatus=specific)) but that no C(PodEniIP) records.
    type: bool
    default: false
  sweep_idle_shared_enis:
    description:
      - Delete shared ENIs of this cluster that hold no pod IP. They count against the node's ENI quota; a later
        shared-mode bind on that node creates a new one.
    type: bool
    default: false
  statefulset_deleted:
    description:
      - Free the reservations of pods whose StatefulSet was deleted, whatever their retention.
    type: bool
    default: false
  scaled_down:
    description:
      - Free the reservations of ordinals at or above the StatefulSet's C(replicas) (after a scale-down), whatever
        their retention.
    type: bool
    default: false
  release_eips:
    description:
      - Also release the elastic public IP (C(spec.eipId)) of each reservation freed, by policy or by hand
        (O(ip), O(pod_name)). It is disassociated if associated (C(DisassociateAddress)) and released
        (C(ReleaseAddress)) before the ENI is deleted or the IP unreserved, so a run that stops is finished by the
        next one, which finds the EIP gone and goes on.
      - An EIP associated with something other than the record's IP (moved to another instance or ENI) is never
        released; it is kept and listed in RV(eips_kept) with the reason, and the private IP is freed all the same.
      - The EIPs of the reservations freed are read with one C(DescribeAddresses), and only when this is V(true)
        and one of them has an EIP.
      - With V(false), every such EIP stays allocated and is listed in RV(eips_kept).
    type: bool
    default: false
  concurrency:
    description:
      - How many items are freed at the same time (each with a client of its own); the reads are batched anyway.
    type: int
    default: 4
  lock_timeout:
    description:
      - Seconds to wait for a subnet's allocation lock.
    type: int
    default: 60
  wait_timeout:
    description:
      - Seconds to wait for an ENI to finish detaching before it is deleted.
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
      - Nothing is written and no lock is taken. RV(items) says, for every reservation, orphan ENI and unrecorded
        reserved IP, whether it would be freed, why (with the time its retention ran out), and the API calls it takes.
        RV(eips_released) lists the EIPs that would be released, RV(eips_kept) those that would stay.
  diff_mode:
    support: none
notes:
  - A reservation is never freed while its pod is live, while a bind or release is in progress, or while its IP is
    in a live pod's status; the report says which of these kept it.
seealso:
  - module: ksyun.kce.fixed_ip
  - module: ksyun.kce.fixed_ip_audit
  - module: ksyun.kce.fixed_ip_info
"""

EXAMPLES = r"""
- name: Carry out the reclaim policy (run it from cron or an Argo CD CronJob)
  ksyun.kce.fixed_ip_reclaim:

- name: Preview what reclaim would free, and why
  ksyun.kce.fixed_ip_reclaim:
  check_mode: true
  register: preview

- name: Also free the IPs of deleted StatefulSets and of scaled-down ordinals
  ksyun.kce.fixed_ip_reclaim:
    statefulset_deleted: true
    scaled_down: true

- name: The product FAQ's emergency reclaim of one IP
  ksyun.kce.fixed_ip_reclaim:
    ip: 10.0.0.236

- name: Free the IPs past their retention and release their elastic public IPs too
  ksyun.kce.fixed_ip_reclaim:
    release_eips: true
  register: reclaimed

- name: Free one pod's IP and release its elastic public IP
  ksyun.kce.fixed_ip_reclaim:
    namespace: shop
    pod_name: db-1
    release_eips: true

- name: Free the IP of a pod that still runs (it loses its network)
  ksyun.kce.fixed_ip_reclaim:
    namespace: shop
    pod_name: db-0
    force: true
"""

RETURN = r"""
items:
  description:
    - Every decision, in a stable order. In manual mode, the one reservation freed.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(reservation), V(eni) or V(reserved-ip).
      type: str
    name:
      description: The record (for example C(PodEniIP shop/10.0.0.236)), the ENI or the IP.
      type: str
    decision:
      description: V(reclaim) (freed, or would be in check mode), V(keep), or V(report) (needs a person).
      type: str
    reason:
      description: Why, for example C(released 2026-11-20T10:00:00Z, retention 7d passed at 2026-11-27T10:00:00Z).
      type: str
    actions:
      description: The API changes freeing it takes, in order.
      type: list
      elements: str
    done:
      description: The actions that ran (in check mode, would run).
      type: list
      elements: str
    error:
      description: Why freeing it stopped; empty when it did not. A rerun finishes it.
      type: str
eips_kept:
  description:
    - The elastic public IPs (C(spec.eipId)) of the reservations freed (in check mode, to be freed) that stay
      allocated, because their public IP may be in someone's allow-list. That is all of them unless
      O(release_eips=true); with it, those associated with something other than the record's IP. Release one with
      M(ksyun.kce.eip) O(ksyun.kce.eip#module:state=absent) once it is not needed.
  returned: always
  type: list
  elements: dict
  contains:
    eip_id:
      description: The allocation id of the EIP.
      type: str
    reservation:
      description: The record that carried it, for example C(PodEniIP shop/10.0.0.236).
      type: str
    ip:
      description: The private IP it went with.
      type: str
    reason:
      description: Why it was kept (O(release_eips) is off, or where the EIP is associated now).
      type: str
eips_released:
  description:
    - With O(release_eips=true), the elastic public IPs released with their reservations (in check mode, to be
      released). An EIP is listed once its C(ReleaseAddress) ran, even if a later step of its reservation stopped.
  returned: always
  type: list
  elements: dict
  sample: [{"eip_id": "5f2c7a10-0007-4a6e-9c1b-000000000001", "reservation": "PodEniIP shop/10.0.0.236",
            "ip": "10.0.0.236", "public_ip": "198.51.100.7"}]
  contains:
    eip_id:
      description: The allocation id of the EIP.
      type: str
    reservation:
      description: The record that carried it.
      type: str
    ip:
      description: The private IP it went with.
      type: str
    public_ip:
      description: The public IP that went back to the cloud.
      type: str
reclaimed:
  description: How many items were freed (in check mode, would be).
  returned: always
  type: int
failed:
  description: How many items stopped with an error (the task fails then).
  returned: always
  type: int
api_calls:
  description: The KSYUN API calls the task made, by action.
  returned: always
  type: dict
  sample: {"DescribeSubnets": 1, "DescribeNetworkInterfaces": 1, "ModifyPrivateIpAddressAttribute": 3}
nothing:
  description:
    - In manual mode, why nothing was done - no record keeps the IP or pod (freed already, or a mistyped name); also
      given as a warning. A rerun of a manual reclaim that finished is such a no-op.
  returned: in manual mode, when no record keeps the IP or pod
  type: str
freed:
  description: In manual mode, what was freed (empty strings when nothing was).
  returned: with O(ip) or O(pod_name)
  type: dict
  contains:
    ip:
      description: The IP.
      type: str
    eni_id:
      description: The ENI deleted (exclusive ENI mode), empty otherwise.
      type: str
    record:
      description: The record deleted.
      type: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import ReclaimOptions
from ansible_collections.ksyun.kce.plugins.module_utils.flows.reclaim import run_manual_reclaim, run_reclaim
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import CLUSTER_CONFIG_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_pod, parse_duration, parse_ipv4
from ansible_collections.ksyun.kce.plugins.module_utils.runner.flow_context import flow_context


def ensure(module):
    params = module.params
    min_age = parse_duration(params["min_orphan_age"], "min_orphan_age")
    if params["concurrency"] < 1:
        raise ModuleError("concurrency must be at least 1, got %d" % params["concurrency"])
    ip = parse_ipv4(params["ip"], "ip") if params["ip"] else None
    if params["pod_name"]:
        check_pod(params["namespace"], params["pod_name"])
    ctx = flow_context(module, lock_timeout=params["lock_timeout"], eni_wait_timeout=params["wait_timeout"])
    if ip or params["pod_name"]:
        result = run_manual_reclaim(
            ctx,
            module.check_mode,
            ip=ip,
            namespace=params["namespace"],
            pod_name=params["pod_name"],
            force=params["force"],
            release_eips=params["release_eips"],
        )
        if result.get("nothing"):
            module.warn(result["nothing"])
        return result
    options = ReclaimOptions(
        min_orphan_age=min_age,
        sweep_reserved_ips=params["sweep_reserved_ips"],
        sweep_idle_shared_enis=params["sweep_idle_shared_enis"],
        statefulset_deleted=params["statefulset_deleted"],
        scaled_down=params["scaled_down"],
        release_eips=params["release_eips"],
    )
    result = run_reclaim(ctx, options, module.check_mode, concurrency=params["concurrency"])
    if result["failed"]:
        stopped = ["%s: %s" % (item["name"], item["error"]) for item in result["items"] if item["error"]]
        raise ModuleError(
            "%d of the items due could not be freed (%s); run reclaim again to finish them: their records say how far "
            "they got" % (result["failed"], "; ".join(stopped)),
            **result,
        )
    return result


def main():
    argument_spec = dict(
        CLUSTER_CONFIG_ARGS,
        ip={"type": "str"},
        namespace={"type": "str"},
        pod_name={"type": "str"},
        force={"type": "bool", "default": False},
        min_orphan_age={"type": "str", "default": "1h"},
        sweep_reserved_ips={"type": "bool", "default": False},
        sweep_idle_shared_enis={"type": "bool", "default": False},
        statefulset_deleted={"type": "bool", "default": False},
        scaled_down={"type": "bool", "default": False},
        release_eips={"type": "bool", "default": False},
        concurrency={"type": "int", "default": 4},
        lock_timeout={"type": "int", "default": 60},
        wait_timeout={"type": "int", "default": 120},
    )
    module = KceModule(
        argument_spec,
        cloud=True,
        cluster=True,
        mutually_exclusive=[("ip", "pod_name")],
        required_by={"pod_name": "namespace"},
    )
    module.run(ensure)


if __name__ == "__main__":
    main()
