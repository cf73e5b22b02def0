# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a pod asks for: VPC-CNI mode (shared or exclusive) and a fixed IP, from its annotations and resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidPodRequest
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import PodSnapshot

SHARED_ANNOTATION = "k8s.ksyun.com/pod-eniip"
EXCLUSIVE_ANNOTATION = "k8s.ksyun.com/pod-eni"
FIXED_ANNOTATION = "k8s.ksyun.com/pod-ip-fixed"
NETWORK_ANNOTATION = "v1.multus-cni.io/default-network"
VPC_CNI_NETWORK = "kube-system/vpc-cni"
SHARED_RESOURCE = "ksyun/eni-private-ip"
EXCLUSIVE_RESOURCE = "ksyun/eni"
# The node label a fixed-IP pod's zone affinity names: a fixed IP never leaves its subnet's zone.
ZONE_LABEL = "topology.kubernetes.io/zone"

MODE_ANNOTATION = {Mode.SHARED: SHARED_ANNOTATION, Mode.EXCLUSIVE: EXCLUSIVE_ANNOTATION}
MODE_RESOURCE = {Mode.SHARED: SHARED_RESOURCE, Mode.EXCLUSIVE: EXCLUSIVE_RESOURCE}
# Product page, "Capabilities and limits": StatefulSet and static pods only; mirror pods are owned by their Node.
FIXED_IP_OWNER_KINDS = frozenset(("StatefulSet", "Node"))


@dataclass(frozen=True)
class PodRequest:
    """mode None: an ordinary pod that VPC-CNI leaves alone. warnings: text for Warning events on the pod."""

    mode: Optional[Mode] = None
    fixed: bool = False
    warnings: Tuple[str, ...] = ()


def _flag(pod: PodSnapshot, key: str) -> bool:
    value = pod.annotations.get(key)
    if value is None:
        return False
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise InvalidPodRequest('pod %s: annotation %s: %r must be "true" or "false"' % (pod.ref, key, value))
    return text == "true"


def _count(pod: PodSnapshot, resource: str) -> int:
    value = pod.resource_requests.get(resource)
    if value is None:
        return 0
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidPodRequest(
            'pod %s: resource %s: %r is not a whole number; request "1"' % (pod.ref, resource, value)
        ) from None


def may_hold_fixed_ip(pod: PodSnapshot) -> bool:
    """StatefulSet pods and static pods (owned by their Node, or by nothing) keep an IP across re-creation."""
    return pod.owner_kind is None or pod.owner_kind in FIXED_IP_OWNER_KINDS


def pod_request(pod: PodSnapshot) -> PodRequest:
    """Read a pod's request; contradictions raise InvalidPodRequest naming the annotation or resource to fix."""
    shared, exclusive, fixed = (
        _flag(pod, SHARED_ANNOTATION),
        _flag(pod, EXCLUSIVE_ANNOTATION),
        _flag(pod, FIXED_ANNOTATION),
    )
    if shared and exclusive:
        raise InvalidPodRequest(
            'pod %s asks for both shared ENI mode (%s) and exclusive ENI mode (%s); set only one of them to "true"'
            % (pod.ref, SHARED_ANNOTATION, EXCLUSIVE_ANNOTATION)
        )
    mode = Mode.SHARED if shared else Mode.EXCLUSIVE if exclusive else None
    counts = {each: _count(pod, MODE_RESOURCE[each]) for each in Mode}
    if mode is None:
        if fixed:
            raise InvalidPodRequest(
                'pod %s has %s: "true" but no VPC-CNI mode; add %s: "true" (shared ENI) or %s: "true" (exclusive ENI)'
                % (pod.ref, FIXED_ANNOTATION, SHARED_ANNOTATION, EXCLUSIVE_ANNOTATION)
            )
        for each, count in counts.items():
            if count:
                raise InvalidPodRequest(
                    'pod %s requests %s but has no %s: "true" annotation; add the annotation or drop the resource'
                    % (pod.ref, MODE_RESOURCE[each], MODE_ANNOTATION[each])
                )
        return PodRequest()
    other = Mode.EXCLUSIVE if mode is Mode.SHARED else Mode.SHARED
    if counts[other]:
        raise InvalidPodRequest(
            'pod %s asks for %s ENI mode (%s) but requests %s, the resource of %s ENI mode; request %s: "1" instead'
            % (pod.ref, mode.value, MODE_ANNOTATION[mode], MODE_RESOURCE[other], other.value, MODE_RESOURCE[mode])
        )
    if counts[mode] != 1:
        raise InvalidPodRequest(
            'pod %s asks for %s ENI mode but requests %s: %r; request exactly "1" in requests and limits'
            % (pod.ref, mode.value, MODE_RESOURCE[mode], pod.resource_requests.get(MODE_RESOURCE[mode], 0))
        )
    warnings = []
    network = pod.annotations.get(NETWORK_ANNOTATION)
    if network != VPC_CNI_NETWORK:
        warnings.append(
            "pod %s asks for %s ENI mode but %s is %r, not %r; multus may not hand the pod to VPC-CNI"
            % (pod.ref, mode.value, NETWORK_ANNOTATION, network, VPC_CNI_NETWORK)
        )
    if fixed and not may_hold_fixed_ip(pod):
        warnings.append(
            "fixed IP is only supported for StatefulSet and static pods; %s pod %s got a non-fixed IP"
            % (pod.owner_kind, pod.ref)
        )
        fixed = False
    return PodRequest(mode=mode, fixed=fixed, warnings=tuple(warnings))
