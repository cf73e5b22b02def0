# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every pod of a fixed-IP StatefulSet checked against its reservation: ordinal -> IP (and ENI)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: fixed_ip_statefulset_result
author: ksyun.kce contributors
version_added: 0.1.0
short_description: Check each pod of a fixed-IP StatefulSet against its reservation, and list ordinal, IP and ENI
description:
  - Joins the pods C(<name>-0) to C(<name>-<replicas - 1>) of a StatefulSet with their C(PodEni)/C(PodEniIP) records as
    ksyun.kce.fixed_ip_info reports them, and returns one entry per ordinal.
  - Fails, listing every ordinal that is wrong, when a pod has no record of its mode, more than one, runs with another IP
    than its record keeps, is not the pod the record names, has another IP than the one pinned to its ordinal, carries
    another EIP than the one given for its ordinal, or when the record, the pod and the cloud disagree (the drift
    ksyun.kce.fixed_ip_info finds, an EIP that is not associated with its IP included).
options:
  _input:
    description: The C(reservations) that ksyun.kce.fixed_ip_info returned for the StatefulSet's namespace.
    type: list
    elements: dict
    required: true
  statefulset:
    description: The StatefulSet (metadata.name, metadata.namespace and spec.replicas are read).
    type: dict
    required: true
  mode:
    description: The ENI mode of the StatefulSet's pods.
    type: str
    required: true
    choices: [shared, exclusive]
  ips:
    description: The IPs pinned to the first ordinals, in order.
    type: list
    elements: str
    default: []
  eip_ids:
    description: The allocation ids of the existing EIPs given to the first ordinals, in order (an empty one is skipped).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read the reservations of the namespace
  ksyun.kce.fixed_ip_info:
    namespace: default
  register: info

- name: Check each pod of sts against its reservation
  ansible.builtin.set_fact:
    pods: "{{ info.reservations | ksyun.kce.fixed_ip_statefulset_result(statefulset=sts, mode='shared') }}"
  # [{"ordinal": 0, "pod": "sts-0", "ip": "10.0.0.236", "node": "10.0.0.47", "eni_id": "...", ...}]
"""

RETURN = r"""
_value:
  description: One entry per ordinal, in order.
  type: list
  elements: dict
  contains:
    ordinal:
      description: The ordinal.
      type: int
    pod:
      description: The pod name.
      type: str
    ip:
      description: The pod's IP, the one its record keeps.
      type: str
    node:
      description: The node the pod runs on.
      type: str
    eni_id:
      description: The ENI holding the IP (exclusive ENI mode, the pod's own ENI).
      type: str
    record:
      description: The record, as C(<kind> <namespace>/<name>).
      type: str
    pinned:
      description: Whether the IP was pinned to this ordinal.
      type: bool
    eip_id:
      description: The allocation id of the elastic public IP that goes with the IP (C(eipId) of the record).
      type: str
      returned: when the record has an EIP
    public_ip:
      description: That EIP's public IP (when the cloud was read and the EIP exists).
      type: str
      returned: when the record has an EIP
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode


def _fail(text):
    return AnsibleFilterError(text)


def _check(ordinal, pod_name, namespace, kind, found, pinned, eip_id=None):
    """The entry of one ordinal, or the list of what is wrong with it."""
    if not found:
        return None, ["no %s record names pod %s/%s" % (kind, namespace, pod_name)]
    if len(found) > 1:
        return None, [
            "%d %s records name pod %s/%s (%s); one pod keeps one IP"
            % (len(found), kind, namespace, pod_name, ", ".join(sorted(item.get("name", "?") for item in found)))
        ]
    item = found[0]
    record = item.get("reservation") or {}
    pod = item.get("pod") or {}
    label = "%s %s/%s" % (kind, namespace, item.get("name"))
    problems = ["%s: %s" % (label, text) for text in item.get("drift") or []]
    if not pod.get("exists"):
        problems.append("pod %s/%s does not exist" % (namespace, pod_name))
    elif not pod.get("uid_matches"):
        problems.append("%s names pod uid %r, not the running pod %r" % (label, record.get("podUID"), pod.get("uid")))
    if pod.get("exists") and pod.get("pod_ip") != record.get("ip"):
        problems.append("pod %s has IP %r but %s keeps %r" % (pod_name, pod.get("pod_ip"), label, record.get("ip")))
    if pinned and record.get("ip") != pinned:
        problems.append("%s keeps %r but %s was pinned to ordinal %d" % (label, record.get("ip"), pinned, ordinal))
    entry = {
        "ordinal": ordinal,
        "pod": pod_name,
        "ip": record.get("ip"),
        "node": pod.get("node_name"),
        "record": label,
        "pinned": bool(pinned),
    }
    if kind == KIND[Mode.EXCLUSIVE]:
        entry["eni_id"] = record.get("eniId")
    if eip_id and record.get("eipId") != eip_id:
        problems.append(
            "%s carries elastic IP %r but %s was given for ordinal %d"
            % (label, record.get("eipId") or "", eip_id, ordinal)
        )
    if record.get("eipId"):
        entry["eip_id"] = record["eipId"]
        entry["public_ip"] = ((item.get("cloud") or {}).get("eip") or {}).get("public_ip")
    return entry, problems


def fixed_ip_statefulset_result(reservations, statefulset, mode, ips=None, eip_ids=None):
    try:
        kind = KIND[Mode(mode)]
    except ValueError:
        raise _fail("mode %r is not one of %s" % (mode, ", ".join(m.value for m in Mode))) from None
    metadata = (statefulset or {}).get("metadata") or {}
    name, namespace = metadata.get("name"), metadata.get("namespace") or "default"
    replicas = ((statefulset or {}).get("spec") or {}).get("replicas", 1)
    pinned = [str(ip).strip() for ip in ips or []]
    eips = [str(eip or "").strip() for eip in eip_ids or []]
    entries, problems = [], []
    for ordinal in range(int(replicas)):
        pod_name = "%s-%d" % (name, ordinal)
        found = [
            item
            for item in reservations or []
            if item.get("kind") == kind
            and item.get("namespace") == namespace
            and (item.get("reservation") or {}).get("podName") == pod_name
        ]
        entry, wrong = _check(
            ordinal,
            pod_name,
            namespace,
            kind,
            found,
            pinned[ordinal] if ordinal < len(pinned) else None,
            eips[ordinal] if ordinal < len(eips) else None,
        )
        problems.extend("ordinal %d: %s" % (ordinal, text) for text in wrong)
        if entry is not None:
            entries.append(entry)
    if problems:
        raise _fail(
            "StatefulSet %s/%s (%s ENI mode) does not have the IPs it should: %s"
            % (namespace, name, mode, "; ".join(problems))
        )
    return entries


class FilterModule(object):
    """ksyun.kce.fixed_ip_statefulset_result"""

    def filters(self):
        return {"fixed_ip_statefulset_result": fixed_ip_statefulset_result}
