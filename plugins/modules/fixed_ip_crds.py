#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fixed_ip_crds
short_description: Install or remove the PodEni, PodEniIP and VpcIP custom resource definitions
version_added: 0.1.0
description:
  - Installs (O(state=present)) or removes (O(state=absent)) the C(PodEni), C(PodEniIP) and C(VpcIP)
    CustomResourceDefinitions that record the Pod IPs of KCE VPC-CNI.
  - A C(PodEni) records the exclusive ENI of one pod and has the pod's namespace and name; a C(PodEniIP)
    records the fixed shared-ENI IP of one pod and is named after the IP; a C(VpcIP) records the shared-ENI IP of
    a pod without a fixed IP, is named after the IP too, and is deleted (its IP released) with the pod.
  - The CRDs are created in the API group O(group) and version O(version). A real KCE cluster may already
    define these kinds in C(k8s.ksyun.com) for its own VPC-CNI; point O(group) elsewhere to keep them apart.
  - A cluster whose CRDs were installed before C(VpcIP) existed gets it on the next run with O(state=present);
    until then its non-fixed shared IPs are recorded as C(PodEniIP) with C(fixed=false), as before.
  - With O(state=present), the module waits until the CRDs are C(Established), so a later task can create
    records at once.
  - A CRD that exists but was not installed by this collection (it lacks the label
    C(app.kubernetes.io/part-of=ksyun.kce)) is neither changed nor deleted unless O(force=true).
  - Check mode is a server-side dry run, so it reports what the API server would do.
  - The same manifests for the default group are shipped in C(deploy/crds/) for C(kubectl apply).
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  state:
    description:
      - V(present) creates the CRDs or brings them up to date; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  group:
    description:
      - The API group of the CRDs, a DNS name with at least one dot.
    type: str
    default: k8s.ksyun.com
  version:
    description:
      - The API version of the CRDs, for example V(v1) or V(v1beta1).
    type: str
    default: v1
  force:
    description:
      - With O(state=absent), delete the CRDs even while C(PodEni), C(PodEniIP) or C(VpcIP) records exist. The API
        server then deletes every record, and the IPs they keep are no longer known to the cluster (the cloud still
        holds them).
      - With either state, change or delete CRDs that exist but were not installed by this collection.
    type: bool
    default: false
  wait:
    description:
      - Wait until the CRDs are C(Established) (O(state=present)) or gone (O(state=absent)).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for each CRD when O(wait=true).
    type: int
    default: 60
extends_documentation_fragment:
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster
  - ansible.builtin.action_common_attributes
  - ksyun.kce.k8s_auth_options
attributes:
  check_mode:
    support: full
    details:
      - Creations, updates and deletions are sent as server-side dry runs.
  diff_mode:
    support: full
seealso:
  - module: ksyun.kce.pod_eni
  - module: ksyun.kce.pod_eni_ip
  - module: ksyun.kce.fixed_ip
"""

EXAMPLES = r"""
- name: Install the PodEni, PodEniIP and VpcIP CRDs (k8s.ksyun.com/v1)
  ksyun.kce.fixed_ip_crds:
    state: present

- name: Install them in a group of their own, next to KCE's VPC-CNI
  ksyun.kce.fixed_ip_crds:
    group: fixed-ip.example.com
    version: v1
    kubeconfig: ~/.kube/kce-prod

- name: Remove the CRDs (refused while records exist)
  ksyun.kce.fixed_ip_crds:
    state: absent
"""

RETURN = r"""
crds:
  description: One entry per CRD, in the order C(PodEni), C(PodEniIP), C(VpcIP).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the CRD, C(<plural>.<group>).
      type: str
      sample: podeniips.k8s.ksyun.com
    kind:
      description: The kind it defines.
      type: str
      sample: PodEniIP
    changed:
      description: Whether this CRD was (or in check mode would be) created, changed or deleted.
      type: bool
    established:
      description: Whether the CRD is C(Established), so records of its kind can be created.
      type: bool
    result:
      description: The CRD as the API server returned it (empty after deletion).
      type: dict
"""

from ansible_collections.ksyun.kce.plugins.module_utils.runner.crds import run_crds_module


def main():
    run_crds_module()


if __name__ == "__main__":
    main()
