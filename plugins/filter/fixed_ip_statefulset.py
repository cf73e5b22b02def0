# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A StatefulSet made a fixed-IP StatefulSet of KCE VPC-CNI (ksyun.kce.fixed_ip_statefulset role)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: fixed_ip_statefulset
author: ksyun.kce contributors
version_added: 0.1.0
short_description: Turn a StatefulSet into a fixed-IP StatefulSet of KCE VPC-CNI
description:
  - Returns a copy of a StatefulSet with what the KCE fixed Pod IP product page asks for, in shared or exclusive ENI
    mode, and keeps everything else of the definition as it is.
  - 'The pod template gets the annotations C(k8s.ksyun.com/pod-eniip: "true") (shared) or C(k8s.ksyun.com/pod-eni: "true")
    (exclusive), C(k8s.ksyun.com/pod-ip-fixed: "true") and C(v1.multus-cni.io/default-network: kube-system/vpc-cni).'
  - 'One container (the first, or O(container)) requests and limits C(ksyun/eni-private-ip: "1") (shared) or
    C(ksyun/eni: "1") (exclusive).'
  - The pods are pinned to O(zone) by a required node affinity on C(topology.kubernetes.io/zone), added to every node
    selector term the definition already has. A fixed IP never leaves the zone of its subnet, so a pod re-created in
    another zone would stay without an IP.
  - With O(retention) the StatefulSet gets the annotation C(k8s.ksyun.com/ip-retention), which overrides the cluster's IP
    reclaim policy for its pods.
  - Fails, naming the value and what to do, on an unknown mode, a kind other than StatefulSet (the product keeps IPs of
    StatefulSet pods and static pods only), a retention that does not parse, an affinity or node selector that keeps the
    pods out of O(zone), and an annotation or resource of the other ENI mode, or a different value of one this filter
    sets. Applying the filter to its own result returns the same object.
options:
  _input:
    description: The StatefulSet, with kind, metadata.name and at least one container in spec.template.spec.containers.
    type: dict
    required: true
  mode:
    description: V(shared) (a secondary IP of an ENI shared with other pods) or V(exclusive) (an ENI of its own).
    type: str
    required: true
    choices: [shared, exclusive]
  zone:
    description: The availability zone of the pods' container subnet, for example C(cn-beijing-6a).
    type: str
    required: true
  retention:
    description:
      - How long a deleted pod's IP is kept before reclaim may free it, C(never) or a duration such as C(30m), C(24h),
        C(7d). Left out (or empty), the cluster's reclaim policy applies, or the annotation the definition has.
    type: str
  container:
    description: The container that requests the ENI resource; left out, the first container.
    type: str
  namespace:
    description:
      - The namespace of the StatefulSet when the definition has none (then C(default) when this is left out too). A
        definition with another namespace is refused.
    type: str
  variable_prefix:
    description:
      - Prefix of the variable names in error messages, so a role names its own variables (the role passes
        C(fixed_ip_statefulset_), and a bad O(mode) is reported as C(fixed_ip_statefulset_mode)).
    type: str
    default: ""
  zone_source:
    description: Where O(zone) came from, for error messages, for example C(the subnet of fixed_ip_statefulset_ips).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Make the product page's StatefulSet a shared-mode fixed-IP StatefulSet in cn-beijing-6a
  ansible.builtin.set_fact:
    sts: "{{ definition | ksyun.kce.fixed_ip_statefulset(mode='shared', zone='cn-beijing-6a', retention='7d') }}"
  vars:
    definition:
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: sts, namespace: default}
      spec:
        replicas: 1
        serviceName: sts
        selector: {matchLabels: {ksyun-app: sts}}
        template:
          metadata: {labels: {ksyun-app: sts}}
          spec:
            containers:
              - {name: nginx, image: "hub.kce.ksyun.com/ksyun/nginx:1.25"}
"""

RETURN = r"""
_value:
  description: The fixed-IP StatefulSet, a new object (the input is not changed).
  type: dict
"""

import copy

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidRetention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import (
    FIXED_ANNOTATION,
    MODE_ANNOTATION,
    MODE_RESOURCE,
    NETWORK_ANNOTATION,
    VPC_CNI_NETWORK,
    ZONE_LABEL,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import ANNOTATION_RETENTION
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention

API_VERSION = "apps/v1"
KIND = "StatefulSet"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"
_MODES = ", ".join(mode.value for mode in Mode)


class _Names(object):
    """How errors name the inputs: the role's variables, or the filter's own arguments."""

    def __init__(self, prefix, zone_source):
        self.prefix = prefix or ""
        self.definition = self.prefix + "definition" if self.prefix else "the StatefulSet definition"
        self.zone_source = zone_source or self.prefix + "zone"

    def var(self, name):
        return self.prefix + name


def _fail(text):
    return AnsibleFilterError(text)


def _dict_at(obj, path, names, base=()):
    """The dict at path inside obj (which is at base in the definition), created when missing; a non-dict there is
    refused by its path."""
    node = obj
    for depth, key in enumerate(path):
        value = node.get(key)
        if value is None:
            value = node[key] = {}
        if not isinstance(value, dict):
            raise _fail(
                "%s: %s is %r, not a mapping; fix the definition"
                % (names.definition, ".".join(tuple(base) + tuple(path[: depth + 1])), value)
            )
        node = value
    return node


def _mode(mode, names):
    try:
        return Mode(mode)
    except ValueError:
        raise _fail(
            "%s is %r; fixed Pod IP has two ENI modes: choose one of %s (shared: a secondary IP of an ENI shared with "
            "other pods; exclusive: an ENI of the pod's own)" % (names.var("mode"), mode, _MODES)
        ) from None


def _retention(value, what):
    try:
        return Retention.parse(value)
    except InvalidRetention as err:
        raise _fail("%s: %s" % (what, err)) from None


def _check_kind(definition, names):
    if not isinstance(definition, dict):
        raise _fail("%s is %r, not a mapping; give a StatefulSet definition" % (names.definition, definition))
    kind = definition.get("kind")
    if kind == "Pod":
        raise _fail(
            "%s has kind Pod; of single pods KCE keeps the IP of static pods only, which the kubelet runs from its "
            "manifest folder and no API call creates: give a static pod the same annotations and resources on the node, "
            "or make this a StatefulSet" % names.definition
        )
    if kind != KIND:
        raise _fail(
            "%s has kind %r; KCE keeps a fixed Pod IP for StatefulSet pods (and static pods) only: a StatefulSet pod "
            "keeps its name (sts-0) when it is re-created, and its PodEni/PodEniIP record is found by that name, while "
            "the pods of a %s get new names and would never get their IP back; make it a StatefulSet"
            % (names.definition, kind, kind or "kind-less object")
        )
    api_version = definition.get("apiVersion", API_VERSION)
    if api_version != API_VERSION:
        raise _fail("%s has apiVersion %r; StatefulSets are %s" % (names.definition, api_version, API_VERSION))
    metadata = definition.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        raise _fail("%s has no metadata.name; name the StatefulSet" % names.definition)


def _namespace(metadata, namespace, names):
    own = metadata.get("namespace")
    if namespace and own and own != namespace:
        raise _fail(
            "%s is %r but %s has metadata.namespace %r; give one namespace (leave %s empty to keep the definition's)"
            % (names.var("namespace"), namespace, names.definition, own, names.var("namespace"))
        )
    metadata["namespace"] = own or namespace or "default"


def _same_flag(value, expected):
    return str(value).strip().lower() == expected


def _annotate_template(annotations, mode, names):
    other = Mode.EXCLUSIVE if mode is Mode.SHARED else Mode.SHARED
    wanted = {MODE_ANNOTATION[mode]: "true", FIXED_ANNOTATION: "true", NETWORK_ANNOTATION: VPC_CNI_NETWORK}
    path = "%s: spec.template.metadata.annotations" % names.definition
    present = annotations.get(MODE_ANNOTATION[other])
    if present is not None and not _same_flag(present, "false"):
        raise _fail(
            "%s has %s: %r, the annotation of %s ENI mode, but %s is %s; remove it (a pod has one ENI mode)"
            % (path, MODE_ANNOTATION[other], present, other.value, names.var("mode"), mode.value)
        )
    for key, value in wanted.items():
        present = annotations.get(key)
        if present is not None and not _same_flag(present, value.lower()):
            raise _fail(
                "%s has %s: %r, but a %s-mode fixed-IP pod needs %r; remove it or set it to %r"
                % (path, key, present, mode.value, value, value)
            )
        annotations[key] = value


def _containers(spec, names):
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers or not all(isinstance(c, dict) for c in containers):
        raise _fail("%s has no container in spec.template.spec.containers; add one" % names.definition)
    return containers


def _target(containers, container, names):
    if not container:
        return 0
    found = [index for index, item in enumerate(containers) if item.get("name") == container]
    if not found:
        raise _fail(
            "%s is %r but the pod's containers are %s; name one of them"
            % (names.var("container"), container, [item.get("name") for item in containers])
        )
    return found[0]


def _request_resource(spec, containers, index, mode, names):
    other = Mode.EXCLUSIVE if mode is Mode.SHARED else Mode.SHARED
    resource = MODE_RESOURCE[mode]
    for group in ("initContainers", "containers"):
        for position, item in enumerate(spec.get(group) or []):
            if not isinstance(item, dict):
                continue
            resources = item.get("resources") or {}
            for section in ("requests", "limits"):
                amounts = resources.get(section) or {}
                where = "%s: spec.template.spec.%s[%d] (%s) %s" % (
                    names.definition,
                    group,
                    position,
                    item.get("name"),
                    section,
                )
                if MODE_RESOURCE[other] in amounts:
                    raise _fail(
                        "%s has %s: %r, the resource of %s ENI mode, but %s is %s; remove it (a pod has one ENI mode)"
                        % (
                            where,
                            MODE_RESOURCE[other],
                            amounts[MODE_RESOURCE[other]],
                            other.value,
                            names.var("mode"),
                            mode.value,
                        )
                    )
                if resource not in amounts:
                    continue
                if group != "containers" or position != index:
                    raise _fail(
                        "%s has %s: %r, but container %r requests it (%s); one container of the pod requests the "
                        "pod's IP: remove it here"
                        % (where, resource, amounts[resource], containers[index].get("name"), names.var("container"))
                    )
                if str(amounts[resource]).strip() != "1":
                    raise _fail(
                        '%s has %s: %r; a fixed-IP pod takes exactly one ("1"): remove it or set it to "1"'
                        % (where, resource, amounts[resource])
                    )
    target = containers[index]
    resources = target.get("resources")
    if resources is None:
        resources = target["resources"] = {}
    for section in ("requests", "limits"):
        if resources.get(section) is None:
            resources[section] = {}
        resources[section][resource] = "1"


def _zone_expression(zone):
    return {"key": ZONE_LABEL, "operator": "In", "values": [zone]}


def _contradicts(expression, zone):
    """Whether a node selector requirement on the zone label can only match nodes outside zone."""
    operator, values = expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return zone not in values
    if operator == "NotIn":
        return zone in values
    return operator in ("DoesNotExist", "Gt", "Lt")


def _pin_zone(pod_spec, zone, names):
    where = "%s: spec.template.spec" % names.definition
    why = (
        "a fixed IP never leaves its subnet's zone, and the pods' IPs are in zone %s (%s); remove it or change it to "
        "that zone" % (zone, names.zone_source)
    )
    selector = pod_spec.get("nodeSelector") or {}
    if ZONE_LABEL in selector and selector[ZONE_LABEL] != zone:
        raise _fail("%s.nodeSelector has %s: %r; %s" % (where, ZONE_LABEL, selector[ZONE_LABEL], why))
    node_affinity = _dict_at(pod_spec, ("affinity", "nodeAffinity"), names, ("spec", "template", "spec"))
    required = node_affinity.get(REQUIRED)
    if required is None:
        required = node_affinity[REQUIRED] = {}
    terms = required.get("nodeSelectorTerms")
    if not terms:
        terms = required["nodeSelectorTerms"] = [{}]
    for position, term in enumerate(terms):
        expressions = term.get("matchExpressions")
        if expressions is None:
            expressions = term["matchExpressions"] = []
        for expression in expressions:
            if expression.get("key") == ZONE_LABEL and _contradicts(expression, zone):
                raise _fail(
                    "%s.affinity.nodeAffinity.%s.nodeSelectorTerms[%d] requires %s %s %s; %s"
                    % (
                        where,
                        REQUIRED,
                        position,
                        ZONE_LABEL,
                        expression.get("operator"),
                        expression.get("values") or [],
                        why,
                    )
                )
        if _zone_expression(zone) not in expressions:
            expressions.append(_zone_expression(zone))


def _annotate_retention(metadata, retention, names):
    annotations = metadata.get("annotations")
    present = annotations.get(ANNOTATION_RETENTION) if isinstance(annotations, dict) else None
    if present is not None:
        kept = _retention(present, "%s: metadata.annotations %s" % (names.definition, ANNOTATION_RETENTION))
    if retention is None or retention == "":
        return
    wanted = _retention(retention, names.var("retention"))
    if present is not None and kept != wanted:
        raise _fail(
            "%s is %r but %s has the annotation %s: %r; give the retention once"
            % (names.var("retention"), retention, names.definition, ANNOTATION_RETENTION, present)
        )
    if annotations is None:
        annotations = metadata["annotations"] = {}
    annotations[ANNOTATION_RETENTION] = str(wanted)


def fixed_ip_statefulset(
    definition,
    mode,
    zone,
    retention=None,
    container=None,
    namespace=None,
    variable_prefix="",
    zone_source="",
):
    names = _Names(variable_prefix, zone_source)
    chosen = _mode(mode, names)
    if not isinstance(zone, str) or not zone.strip():
        raise _fail(
            "%s is %r; name the zone of the pods' container subnet, for example cn-beijing-6a"
            % (names.var("zone"), zone)
        )
    _check_kind(definition, names)
    sts = dict({"apiVersion": API_VERSION}, **copy.deepcopy(definition))
    _namespace(sts["metadata"], namespace, names)
    _annotate_retention(sts["metadata"], retention, names)
    template = _dict_at(sts, ("spec", "template"), names)
    pod_spec = _dict_at(template, ("spec",), names, ("spec", "template"))
    containers = _containers(pod_spec, names)
    _annotate_template(_dict_at(template, ("metadata", "annotations"), names, ("spec", "template")), chosen, names)
    _request_resource(pod_spec, containers, _target(containers, container, names), chosen, names)
    _pin_zone(pod_spec, zone.strip(), names)
    return sts


class FilterModule(object):
    """ksyun.kce.fixed_ip_statefulset"""

    def filters(self):
        return {"fixed_ip_statefulset": fixed_ip_statefulset}
