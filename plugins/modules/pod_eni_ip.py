#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pod_eni_ip
short_description: Manage one PodEniIP record (the fixed IP of a shared-ENI pod)
version_added: 0.1.0
description:
  - Creates, updates or deletes one C(PodEniIP) custom resource. A C(PodEniIP) records which pod keeps which
    secondary IP of a shared ENI in KCE VPC-CNI shared ENI mode, in which subnet and zone, under which retention,
    and how far binding or releasing got.
  - A C(PodEniIP) lives in the pod's namespace and is B(named after the IP), so O(ip) selects the record.
    It is labelled with the pod (C(k8s.ksyun.com/pod-namespace), C(k8s.ksyun.com/pod-name)), the IP and the mode,
    so it can be found by pod.
  - This module writes only the record; it does not touch the cloud. To pre-provision an IP for a pod
    (reserve it in the subnet and record it), use M(ksyun.kce.fixed_ip) with O(ksyun.kce.fixed_ip#module:state=reserved).
    Use this module to repair or migrate records, or to adopt an IP reserved by other means.
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
      - Deleting a record does not free the IP in the cloud; the IP stays reserved in its subnet
        (see the manual reclaim in the KCE fixed Pod IP FAQ).
    type: str
    choices: [present, absent]
    default: present
  ip:
    description:
      - The pod's fixed IPv4 address; the record's name.
    type: str
    required: true
  pod_name:
    description:
      - Name of the pod that keeps the IP, for example V(sts-0). A re-created pod with this name gets the IP back.
      - Required to create a record.
    type: str
  fixed:
    description:
      - Whether the IP outlives the pod (fixed IP) or is freed with it.
      - A new record is fixed unless V(false) is given.
    type: bool
  subnet_id:
    description:
      - The subnet the IP belongs to. A fixed IP never moves to another subnet.
    type: str
  eni_id:
    description:
      - The ENI that holds the IP now; empty while the IP is reserved in its subnet.
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
      - How long the IP is kept after the pod is deleted before reclaim may free it (the IP reclaim policy), either
        V(never), or a duration of days, hours and minutes such as V(30m), V(24h), V(7d) or V(1d12h).
      - A new record keeps its IP V(never) unless given, as the product's empty policy does.
    type: str
  phase:
    description:
      - How far binding or releasing got; stored in C(status.phase).
      - V(Reserved) means no pod holds the IP and it is reserved in its subnet; V(Bound) means a pod holds it.
        V(Binding), V(Releasing) and V(Reclaiming) record intent before a cloud change, so a crashed run resumes.
      - A new record gets V(Reserved) unless given.
    type: str
    choices: [Binding, Bound, Releasing, Reserved, Reclaiming]
  node_name:
    description:
      - Node the IP is bound to; stored in C(status.nodeName).
    type: str
  released_at:
    description:
      - When the pod was deleted and the IP reserved, in RFC 3339 UTC, for example V(2026-01-02T03:04:05Z).
        The empty string removes it.
      - Stored in C(status.releasedAt); C(status.reclaimAt) follows from it and O(retention).
    type: str
  group:
    description:
      - API group of the C(PodEniIP) CRD (see M(ksyun.kce.fixed_ip_crds)).
    type: str
    default: k8s.ksyun.com
  version:
    description:
      - API version of the C(PodEniIP) CRD.
    type: str
    default: v1
extends_documentation_fragment:
  - ksyun.kce.fixed_ip.records
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster
  - ansible.builtin.action_common_attributes
  - ksyun.kce.k8s_auth_options
seealso:
  - module: ksyun.kce.pod_eni
  - module: ksyun.kce.fixed_ip
  - module: ksyun.kce.fixed_ip_info
  - module: ksyun.kce.fixed_ip_crds
"""

EXAMPLES = r"""
- name: Record that sts-0 keeps 10.0.0.236, reserved in its subnet (no pod yet)
  ksyun.kce.pod_eni_ip:
    namespace: default
    ip: 10.0.0.236
    pod_name: sts-0
    subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
    zone: cn-beijing-6a
    retention: 7d

- name: Let the IP be reclaimed a day after release instead of never
  ksyun.kce.pod_eni_ip:
    namespace: default
    ip: 10.0.0.236
    retention: 24h

- name: Records in another API group
  ksyun.kce.pod_eni_ip:
    namespace: default
    ip: 10.0.0.236
    pod_name: sts-0
    group: fixed-ip.example.com

- name: Forget the record (the IP stays reserved in the cloud)
  ksyun.kce.pod_eni_ip:
    namespace: default
    ip: 10.0.0.236
    state: absent
"""

RETURN = r"""
name:
  description: Name of the record (the IP).
  returned: always
  type: str
  sample: 10.0.0.236
namespace:
  description: Namespace of the record.
  returned: always
  type: str
  sample: default
kind:
  description: The record's kind.
  returned: always
  type: str
  sample: PodEniIP
reservation:
  description:
    - The record's content as one flat dict (spec and the status keys together), empty after deletion.
  returned: always
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
    run_record_module(Mode.SHARED)


if __name__ == "__main__":
    main()
