# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone guard: MutatingAdmissionPolicies that keep a fixed-IP pod in the zone of its reservation."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: fixed_ip_zone_guard
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: The zone guard's MutatingAdmissionPolicies and bindings
description:
  - Returns two MutatingAdmissionPolicies (C(admissionregistration.k8s.io/v1)) and their bindings, one for C(PodEni)
    and one for C(PodEniIP) records. When a pod that asks for a fixed IP (annotation C(k8s.ksyun.com/pod-ip-fixed)
    C("true")) is created and a record of its name in its namespace keeps a fixed IP in a zone (and is not being
    reclaimed), the pod gets that zone as C(nodeSelector) C(topology.kubernetes.io/zone), so the scheduler never puts
    it where its IP cannot follow.
  - The binding selects every record of the pod's namespace as a parameter; the policy's match conditions keep the
    record of this pod. The policies' failure policy is C(Ignore), so an error in them never blocks a pod.
  - Needs a cluster that serves C(admissionregistration.k8s.io/v1) MutatingAdmissionPolicy (Kubernetes 1.36 and
    later; the role ksyun.kce.vpc_cni checks).
options:
  group:
    description: The API group of the records.
    type: str
    default: k8s.ksyun.com
  version:
    description: The API version of the records.
    type: str
    default: v1
  labels:
    description: Labels to put on every object.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Install the zone guard
  kubernetes.core.k8s:
    definition: "{{ item }}"
    apply: true
  loop: "{{ query('ksyun.kce.fixed_ip_zone_guard', group='k8s.ksyun.com', version='v1') }}"
"""

RETURN = r"""
_raw:
  description: The policy and binding of PodEni, then those of PodEniIP.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import FIXED_ANNOTATION, ZONE_LABEL
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import RESERVATION_KINDS
from ansible_collections.ksyun.kce.plugins.plugin_utils.record_api import record_api_args

API_VERSION = "admissionregistration.k8s.io/v1"


def _pointer(key):
    """A map key as one JSON Pointer segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def zone_guard(kind, group, version, labels):
    name = "ksyun-fixed-ip-zone-" + kind.lower()
    metadata = {"name": name, "labels": dict(labels)}
    asks_fixed = (
        "has(object.metadata.annotations) && object.metadata.annotations.exists(k, k == '%s'"
        " && object.metadata.annotations[k] == 'true')" % FIXED_ANNOTATION
    )
    its_reservation = (
        "params.spec.podName == object.metadata.name && params.spec.fixed == true"
        " && has(params.spec.zone) && params.spec.zone != ''"
        " && !(has(params.status) && has(params.status.phase) && params.status.phase == '%s')" % Phase.RECLAIMING.value
    )
    patch = (
        "has(object.spec.nodeSelector)"
        ' ? [JSONPatch{op: "add", path: "/spec/nodeSelector/%s", value: params.spec.zone}]'
        ' : [JSONPatch{op: "add", path: "/spec/nodeSelector", value: {"%s": params.spec.zone}}]'
        % (_pointer(ZONE_LABEL), ZONE_LABEL)
    )
    policy = {
        "apiVersion": API_VERSION,
        "kind": "MutatingAdmissionPolicy",
        "metadata": metadata,
        "spec": {
            "failurePolicy": "Ignore",
            "reinvocationPolicy": "IfNeeded",
            "paramKind": {"apiVersion": "%s/%s" % (group, version), "kind": kind},
            "matchConstraints": {
                "resourceRules": [
                    {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
                ]
            },
            "matchConditions": [
                {"name": "asks-for-a-fixed-ip", "expression": asks_fixed},
                {"name": "has-this-reservation", "expression": its_reservation},
            ],
            "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": patch}}],
        },
    }
    binding = {
        "apiVersion": API_VERSION,
        "kind": "MutatingAdmissionPolicyBinding",
        "metadata": dict(metadata),
        "spec": {"policyName": name, "paramRef": {"selector": {}, "parameterNotFoundAction": "Allow"}},
    }
    return [policy, binding]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        group, version, extra = record_api_args("fixed_ip_zone_guard", terms, kwargs, extra=("labels",))
        labels = extra.get("labels") or {}
        if not isinstance(labels, dict):
            raise AnsibleLookupError("fixed_ip_zone_guard: labels %r must be a dict" % (labels,))
        return [obj for kind in RESERVATION_KINDS for obj in zone_guard(kind, group, version, labels)]
