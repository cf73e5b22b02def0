#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pod_eni
short_description: Manage one PodEni record (the fixed ENI of an exclusive-ENI pod)
version_added: 0.1.0
description:
  - Creates, updates or deletes one C(PodEni) custom resource. A C(PodEni) records which ENI a pod in KCE
    VPC-CNI exclusive ENI mode owns (the pod keeps the whole ENI, and with it the ENI's primary IP), in which
    subnet and zone, under which retention, and how far binding or releasing got.
  - A C(PodEni) has B(the same namespace and name as its pod), so O(namespace) and O(pod_name) select the record.
    It is labelled with the pod, the IP and the mode, like a C(PodEniIP).
  - This module writes only the record; it does not touch the cloud. To pre-provision an ENI for a pod,
    use M(ksyun.kce.fixed_ip) with O(ksyun.kce.fixed_ip#module:state=reserved).
    Use this module to repair or migrate records, or to adopt an ENI created by other means.
  - Options that are not given keep their stored value; a new record gets O(fixed=true), O(retention=never)
    and O(phase=Reserved) unless given.
  - B(Status handling.) The CRD has a status subresource, so C(status) cannot be written together with
    C(spec). The module writes the spec (and labels) with one merge patch, then, only if O(phase),
    O(node_name), O(instance_id) or O(released_at) change the stored status, a second merge patch to the
    status subresource; C(status.reclaimAt) is derived from O(released_at) and O(retention).
    Other status fields (C(message)) are left alone. Both writes carry the resourceVersion just read, so a
    concurrent change makes the task fail instead of overwriting it.
  - Check mode is a server-side dry run of both writes; with O(state=present) and a new record the status is
    shown as it would be written.
  - All input is checked (IP format, retention, times, ids, names) before anything is written.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  state:
    description:
      - V(present) creates or updates the record; V(absent) deletes it.
      - Deleting a record does not delete the ENI in the cloud; the detached ENI keeps its IP
        (see the manual reclaim in the KCE fixed Pod IP FAQ).
    type: str
    choices: [present, absent]
    default: present
  pod_name:
    description:
      - Name of the pod that keeps the ENI, for example V(sts-0); the record's name.
        A re-created pod with this name gets the ENI, and its IP, back.
    type: str
    required: true
  ip:
    description:
      - The primary IPv4 address of the pod's ENI (the pod's IP). Empty until the ENI exists.
    type: str
  fixed:
    description:
      - Whether the ENI outlives the pod (fixed IP) or is deleted with it.
      - A new record is fixed unless V(false) is given.
    type: bool
  subnet_id:
    description:
      - The subnet of the ENI. A fixed IP never moves to another subnet.
    type: str
  eni_id:
    description:
      - The pod's own ENI. It stays, detached, while the pod is gone, and keeps its IP.
    type: str
  eip_id:
    description:
      - The allocation id of the elastic public IP (EIP) that goes with the pod's IP (M(ksyun.kce.eip) allocates
        one). Whenever the pod is bound, on any node, the EIP is associated with its IP again if it is not there;
        release and reclaim keep it.
      - An empty string removes it from the record (the EIP itself is kept).
    type: str
  retention:
    description:
      - How long the ENI is kept after the pod is deleted before reclaim may delete it (the IP reclaim policy), either
        V(never), or a duration of days, hours and minutes such as V(30m), V(24h), V(7d) or V(1d12h).
      - A new record keeps its IP V(never) unless given, as the product's empty policy does.
    type: str
  phase:
    description:
      - How far binding or releasing got; stored in C(status.phase).
      - V(Reserved) means no pod holds the ENI and it is detached; V(Bound) means it is attached for the pod.
        V(Binding), V(Releasing) and V(Reclaiming) record intent before a cloud change, so a crashed run resumes.
      - A new record gets V(Reserved) unless given.
    type: str
    choices: [Binding, Bound, Releasing, Reserved, Reclaiming]
  node_name:
    description:
      - Node the ENI is attached to; stored in C(status.nodeName).
    type: str
  released_at:
    description:
      - When the pod was deleted and the ENI detached, in RFC 3339 UTC, for example V(2026-01-02T03:04:05Z).
        The empty string removes it.
      - Stored in C(status.releasedAt); C(status.reclaimAt) follows from it and O(retention).
    type: str
  group:
    description:
      - API group of the C(PodEni) CRD (see M(ksyun.kce.fixed_ip_crds)).
    type: str
    default: k8s.ksyun.com
  version:
    description:
      - API version of the C(PodEni) CRD.
    type: str
    default: v1
extends_documentation_fragment:
  - ksyun.kce.fixed_ip.records
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster
  - ansible.builtin.action_common_attributes
  - ksyun.kce.k8s_auth_options
seealso:
  - module: ksyun.kce.pod_eni_ip
  - module: ksyun.kce.fixed_ip
  - module: ksyun.kce.fixed_ip_info
  - module: ksyun.kce.fixed_ip_crds
"""

EXAMPLES = r"""
- name: Record that sts-0 owns the detached ENI holding 10.0.0.237
  ksyun.kce.pod_eni:
    namespace: default
    pod_name: sts-0
    ip: 10.0.0.237
    eni_id: 5f2c7a10-0006-4a6e-9c1b-000000000001
    subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
    zone: cn-beijing-6a
    retention: never

- name: Mark it bound on node 10.0.0.47 (written to the status subresource)
  ksyun.kce.pod_eni:
    namespace: default
    pod_name: sts-0
    phase: Bound
    node_name: 10.0.0.47
    instance_id: 5f2c7a10-0004-4a6e-9c1b-000000000047

- name: Forget the record (the ENI stays in the cloud)
  ksyun.kce.pod_eni:
    namespace: default
    pod_name: sts-0
    state: absent
"""

RETURN = r"""
name:
  description: Name of the record (the pod's name).
  returned: always
  type: str
  sample: sts-0
namespace:
  description: Namespace of the record.
  returned: always
  type: str
  sample: default
kind:
  description: The record's kind.
  returned: always
  type: str
  sample: PodEni
reservation:
  description:
    - The record's content as one flat dict (spec and the status keys together), empty after deletion.
  returned: always
  type: dict
  sample:
    podNamespace: default
    podName: sts-0
    podUID: ""
    mode: exclusive
    fixed: true
    ip: 10.0.0.237
    subnetId: 5f2c7a10-0002-4a6e-9c1b-000000000001
    zone: cn-beijing-6a
    eniId: 5f2c7a10-0006-4a6e-9c1b-000000000001
    mac: ""
    instanceId: ""
    nodeName: ""
    retention: never
    releasedAt: null
    phase: Reserved
result:
  description: The record as the API server returned it (without managedFields), empty after deletion.
  returned: always
  type: dict
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.runner.records import run_record_module


def main():
    run_record_module(Mode.EXCLUSIVE)


if __name__ == "__main__":
    main()
