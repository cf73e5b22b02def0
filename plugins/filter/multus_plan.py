# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the multus role applies, leaves alone or refuses (ksyun.kce.multus, multus_install and multus_take_over)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: multus_plan
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: Which multus objects to apply, which to leave to their owner, and which would be taken over
description:
  - Decides, for the objects the C(ksyun.kce.multus) role built, which it applies. With O(install=auto) a multus that
    the collection did not install (a DaemonSet of any namespace running a multus image) is left alone with its CRD,
    RBAC and ConfigMap, and so is a C(kube-system/vpc-cni) NetworkAttachmentDefinition someone else created; with
    V(true) every object is applied; with V(false) none.
  - An object to apply whose namespace and name are taken by an object the collection did not create (no label
    C(app.kubernetes.io/part-of=ksyun.kce) and not managed by O(field_manager)) is refused, naming its field managers,
    unless O(take_over=true).
options:
  _input:
    description: The objects the role would apply, in order.
    type: list
    elements: dict
    required: true
  existing:
    description:
      - For each object, in the same order, the object as the cluster has it, or null when it is absent; or the
        C(resources) list of a M(kubernetes.core.k8s_info) lookup of it (empty when absent).
    type: list
    elements: raw
    required: true
  daemonsets:
    description: Every DaemonSet of the cluster (all namespaces); read for O(install=auto) only.
    type: list
    elements: dict
    default: []
  install:
    description: V(auto), V(true) or V(false) (YAML booleans and yes/no are understood).
    type: raw
    default: auto
  take_over:
    description: Apply over objects of the same name that the collection did not create.
    type: bool
    default: false
  field_manager:
    description: The collection's server-side apply field manager.
    type: str
    default: ksyun.kce
"""

EXAMPLES = r"""
- name: Decide what to apply
  ansible.builtin.set_fact:
    plan: "{{ objects | ksyun.kce.multus_plan(existing=found, daemonsets=all_daemonsets, install='auto') }}"
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    install:
      description: V(auto), V(true) or V(false).
      type: str
    apply:
      description: The objects to apply, in order.
      type: list
      elements: dict
    to_apply:
      description: The objects to apply as C(Kind namespace/name).
      type: list
      elements: str
    left_alone:
      description: The objects not applied and why, as C({object, why}).
      type: list
      elements: dict
    refused:
      description: The objects of someone else that applying would take over, each with its field managers.
      type: list
      elements: str
    multus:
      description:
        - The DaemonSets running multus (namespace, name, images, ready, desired, ours, managers); O(install=auto) only.
      type: list
      elements: dict
    message:
      description: The refusal to fail with, empty when nothing is refused.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.multus import AUTO, plan_multus
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.ownership import OURS


def _found(item):
    """The object of a lookup: itself, or the first of a k8s_info resources list (None when empty)."""
    if isinstance(item, list):
        return item[0] if item else None
    return item or None


def multus_plan(objects, existing, daemonsets=None, install=AUTO, take_over=False, field_manager=OURS):
    try:
        return plan_multus(
            list(objects or []),
            [_found(item) for item in existing or []],
            list(daemonsets or []),
            install=install,
            take_over=bool(take_over),
            field_manager=field_manager,
        )
    except FixedIpError as err:
        raise AnsibleFilterError(str(err)) from None


class FilterModule(object):
    """ksyun.kce.multus_plan"""

    def filters(self):
        return {"multus_plan": multus_plan}
