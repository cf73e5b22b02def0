# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PodEni, PodEniIP and VpcIP CustomResourceDefinitions as objects (ksyun.kce.vpc_cni role)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: fixed_ip_crds
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: The PodEni, PodEniIP and VpcIP CustomResourceDefinitions
description:
  - Returns the CustomResourceDefinitions of C(PodEni) (exclusive ENI reservations), C(PodEniIP) (shared ENI
    reservations) and C(VpcIP) (the IP of a shared ENI mode pod without a fixed IP, released with the pod) in an API
    group and version, the same definitions the M(ksyun.kce.fixed_ip_crds) module installs, for applying or rendering
    them with other objects (the M(ksyun.kce.fixed_ip_crds) module waits and refuses foreign CRDs; this lookup only
    builds the objects).
options:
  group:
    description: The API group of the records.
    type: str
    default: k8s.ksyun.com
  version:
    description: The API version of the records.
    type: str
    default: v1
"""

EXAMPLES = r"""
- name: Apply the record CRDs with the other VPC-CNI objects
  kubernetes.core.k8s:
    definition: "{{ item }}"
    apply: true
  loop: "{{ query('ksyun.kce.fixed_ip_crds', group='k8s.ksyun.com', version='v1') }}"
"""

RETURN = r"""
_raw:
  description: The three CustomResourceDefinitions, PodEni, PodEniIP, then VpcIP.
  type: list
  elements: dict
"""


from ansible.plugins.lookup import LookupBase

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import crds
from ansible_collections.ksyun.kce.plugins.plugin_utils.record_api import record_api_args


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        group, version, _extra = record_api_args("fixed_ip_crds", terms, kwargs)
        return crds(group, version)
