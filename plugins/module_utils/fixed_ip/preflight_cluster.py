# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's cluster checks (fixed_ip/preflight.py): from what ksyun.kce.preflight_info read to a list of checks.

The VPC-CNI ConfigMap (as the flows' parser read it), the record CRDs against the collection's own definitions, multus
and the kube-system/vpc-cni network and who installed them, the VPC-CNI nodes with their ENI resources and zones, and
whether the zone guard can run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.ownership import (
    OURS,
    PART_OF,
    daemonset_text,
    is_ours,
    managers_text,
    multus_daemonsets,
    owner_text,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import (
    EXCLUSIVE_RESOURCE,
    SHARED_RESOURCE,
    VPC_CNI_NETWORK,
    ZONE_LABEL,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight import (
    ABSENT,
    BLOCKER,
    OK,
    WARN,
    Check,
    ConfigView,
    few,
)

# The label of the nodes of a pool with the VPC-CNI add-on (the sandbox's nodes and the vpc_cni role's selector there).
VPC_CNI_NODE_LABEL = "k8s.ksyun.com/vpc-cni"
NETWORK_CRD = "network-attachment-definitions.k8s.cni.cncf.io"
ZONE_GUARD_API = "admissionregistration.k8s.io/v1 MutatingAdmissionPolicy"


@dataclass(frozen=True)
class ExpectedCrd:
    """A CRD as the collection defines it: its name, kind, group/version and the record fields it reads and writes."""

    name: str
    kind: str
    group: str
    version: str
    scope: str
    fields: Tuple[str, ...]
    status_subresource: bool


def _fields(schema: Mapping[str, Any], prefix: str) -> List[str]:
    return ["%s.%s" % (prefix, name) for name in sorted((schema or {}).get("properties") or {})]


def expected_crd(definition: Mapping[str, Any]) -> ExpectedCrd:
    """The expectation from one of the collection's CRD manifests (k8s/crds.crd)."""
    spec = definition["spec"]
    version = spec["versions"][0]
    schema = ((version.get("schema") or {}).get("openAPIV3Schema") or {}).get("properties") or {}
    return ExpectedCrd(
        name=definition["metadata"]["name"],
        kind=spec["names"]["kind"],
        group=spec["group"],
        version=version["name"],
        scope=spec.get("scope", "Namespaced"),
        fields=tuple(_fields(schema.get("spec") or {}, "spec") + _fields(schema.get("status") or {}, "status")),
        status_subresource="status" in (version.get("subresources") or {}),
    )


@dataclass(frozen=True)
class ClusterFacts:
    """Everything preflight_info read from the cluster (objects as dicts), and what it compares them with.

    network: kube-system/vpc-cni (None: absent or its kind is not served); zone_guard_policies: the names of the zone
    guard's MutatingAdmissionPolicies that exist."""

    config: ConfigView
    expected_crds: Tuple[ExpectedCrd, ...]
    crds: Tuple[Mapping[str, Any], ...] = ()
    daemonsets: Tuple[Mapping[str, Any], ...] = ()
    network: Optional[Mapping[str, Any]] = None
    nodes: Tuple[Mapping[str, Any], ...] = ()
    zone_guard_served: bool = False
    zone_guard_policies: Tuple[str, ...] = ()
    node_selector: Mapping[str, str] = field(default_factory=lambda: {VPC_CNI_NODE_LABEL: "true"})
    field_manager: str = OURS


# --- the checks ------------------------------------------------------------------------------------------------------


def _subnets_text(pod_subnets: Mapping[str, Sequence[str]]) -> str:
    if not pod_subnets:
        return "none"
    return "; ".join("%s: %s" % (zone, ", ".join(ids)) for zone, ids in sorted(pod_subnets.items()))


def check_config(config: ConfigView) -> Check:
    name = "config_map"
    if not config.found:
        return Check(
            name,
            ABSENT,
            "no %s" % config.source,
            will="the vpc_cni role writes it from its vpc_cni_* variables (cluster name, security groups, container "
            "subnets per zone, reclaim policy)",
            will_not="bind, release, audit or reclaim a fixed IP before it exists: ksyun.kce.fixed_ip, fixed_ip_audit and "
            "the reclaim playbooks read the cluster name and the container subnets from it",
        )
    if config.error:
        return Check(
            name,
            BLOCKER,
            config.error,
            will="the vpc_cni role rewrites it from its variables",
            will_not="bind, release, audit or reclaim any fixed IP while this value stands: the modules and the node's "
            "VPC-CNI refuse it alike",
        )
    found = (
        "%s: cluster %s, fixed IP %s, reclaim policy %s, records in %s/%s, container subnets %s, security groups %s"
        % (
            config.source,
            config.cluster_name,
            "on" if config.fixed_ip else "off",
            config.retention or "never",
            config.crd_group,
            config.crd_version,
            _subnets_text(config.pod_subnets),
            ", ".join(config.security_group_ids) or "none",
        )
    )
    found += ", DaemonMode %s" % config.daemon_mode if config.daemon_mode else ", no DaemonMode (a self-managed add-on)"
    found += "; written by ksyun.kce" if config.ours else "; %s" % managers_text(config.managers)
    will = "every module and the node's VPC-CNI read this configuration; the vpc_cni role keeps it"
    if not config.ours:
        will += " (server-side apply takes its fields from %s)" % (", ".join(config.managers) or "whoever wrote it")
    if not config.fixed_ip:
        return Check(
            name, WARN, found, will, "give a fixed IP while fixedIpEnabled is false: such pods get an ordinary IP"
        )
    if not config.pod_subnets:
        return Check(name, WARN, found, will, "give any pod an IP: podSubnets names no container subnet")
    return Check(name, OK, found, will, "")


def _served(crd: Mapping[str, Any], version: str) -> Optional[Mapping[str, Any]]:
    for item in (crd.get("spec") or {}).get("versions") or []:
        if item.get("name") == version and item.get("served"):
            return item
    return None


def _has_field(schema: Mapping[str, Any], path: str) -> bool:
    """Whether the schema keeps the field: declared, or under an object that preserves unknown fields."""
    node = schema or {}
    for part in path.split("."):
        if node.get("x-kubernetes-preserve-unknown-fields"):
            return True
        node = (node.get("properties") or {}).get(part)
        if node is None:
            return False
    return True


def _crd_problems(crd: Mapping[str, Any], expected: ExpectedCrd) -> List[str]:
    """What in the cluster's CRD the collection cannot use, each as a reason."""
    spec = crd.get("spec") or {}
    problems = []
    if (spec.get("names") or {}).get("kind") != expected.kind:
        problems.append("its kind is %s, not %s" % ((spec.get("names") or {}).get("kind"), expected.kind))
    if spec.get("scope") != expected.scope:
        problems.append("it is %s, not %s" % (spec.get("scope"), expected.scope))
    version = _served(crd, expected.version)
    served = [v.get("name") for v in spec.get("versions") or [] if v.get("served")]
    if version is None:
        problems.append("it serves %s, not %s" % ("/".join(served) or "no version", expected.version))
        return problems
    schema = (version.get("schema") or {}).get("openAPIV3Schema") or {}
    missing = [path for path in expected.fields if not _has_field(schema, path)]
    if missing:
        problems.append(
            "its %s schema lacks %s (the API server would drop what the collection writes there)"
            % (expected.version, ", ".join(missing))
        )
    if expected.status_subresource and "status" not in (version.get("subresources") or {}):
        problems.append("it has no status subresource (the collection writes a record's status through it)")
    return problems


def check_crd(facts: ClusterFacts, expected: ExpectedCrd) -> Check:
    name = "crd_%s" % expected.kind.lower()
    crds = {((c.get("metadata") or {}).get("name")): c for c in facts.crds}
    same_kind = sorted(
        (c.get("metadata") or {}).get("name", "")
        for c in facts.crds
        if ((c.get("spec") or {}).get("names") or {}).get("kind") == expected.kind
        and (c.get("metadata") or {}).get("name") != expected.name
    )
    elsewhere = " (%s also defines %s)" % (", ".join(same_kind), expected.kind) if same_kind else ""
    records = "%s records in %s/%s" % (expected.kind, expected.group, expected.version)
    crd = crds.get(expected.name)
    if crd is None:
        return Check(
            name,
            ABSENT,
            "no CRD %s%s" % (expected.name, elsewhere),
            will="the vpc_cni role (or ksyun.kce.fixed_ip_crds) installs it; then the collection writes %s" % records,
            will_not="write a %s record before it exists" % expected.kind,
        )
    problems = _crd_problems(crd, expected)
    labels = (crd.get("metadata") or {}).get("labels") or {}
    if labels.get(PART_OF) != OURS:
        problems.append("it belongs to someone else (%s, no label %s=%s)" % (owner_text(crd), PART_OF, OURS))
    if problems:
        return Check(
            name,
            BLOCKER,
            "CRD %s: %s%s" % (expected.name, "; ".join(problems), elsewhere),
            will="nothing with this API group: set crdGroup in %s (vpc_cni_crd_group) to a group of the collection's own, "
            "such as fixed-ip.k8s.ksyun.com" % facts.config.source,
            will_not="write %s into it, or change it (ksyun.kce.fixed_ip_crds refuses without force; the vpc_cni role "
            "would overwrite its schema)" % records,
        )
    return Check(
        name,
        OK,
        "CRD %s serves %s with every field the collection reads and writes, installed by ksyun.kce%s"
        % (expected.name, expected.version, elsewhere),
        will="read and write %s (%s)" % (records, ", ".join(expected.fields)),
        will_not="",
    )


def check_multus(facts: ClusterFacts) -> Check:
    found = multus_daemonsets(facts.daemonsets, facts.field_manager)
    crds = {((c.get("metadata") or {}).get("name")): c for c in facts.crds}
    crd = crds.get(NETWORK_CRD)
    crd_text = (
        "no CRD %s" % NETWORK_CRD
        if crd is None
        else "CRD %s %s"
        % (NETWORK_CRD, "installed by ksyun.kce" if is_ours(crd, facts.field_manager) else "(%s)" % owner_text(crd))
    )
    if not found:
        foreign_crd = crd is not None and not is_ours(crd, facts.field_manager)
        return Check(
            "multus",
            WARN if foreign_crd else ABSENT,
            "no DaemonSet runs multus; %s" % crd_text,
            will="the multus role (deploy_multus: auto, the default) installs kube-system/kube-multus-ds with its CRD and RBAC"
            + (", after multus_take_over: true for the CRD someone else created" if foreign_crd else ""),
            will_not="run a fixed-IP pod before multus runs (its %s network needs multus)" % VPC_CNI_NETWORK
            + ("; install over that CRD without multus_take_over: true" if foreign_crd else ""),
        )
    foreign = [view for view in found if not view["ours"]]
    text = "multus runs in %s; %s" % ("; ".join(daemonset_text(view) for view in found), crd_text)
    unready = [view for view in found if view["ready"] < view["desired"]]
    status = WARN if unready else OK
    if foreign:
        return Check(
            "multus",
            status,
            text,
            will="leave it alone (deploy_multus: auto, the default)",
            will_not="update, replace or take over its objects (multus_take_over: true would)"
            + ("; pods get no network on the nodes where it is not ready" if unready else ""),
        )
    return Check(
        "multus",
        status,
        text,
        will="keep it at multus_version with the multus role",
        will_not="pods get no network on the nodes where it is not ready" if unready else "",
    )


def _network_type(network: Mapping[str, Any]) -> str:
    try:
        config = json.loads((network.get("spec") or {}).get("config") or "")
    except ValueError:
        return ""
    return str(config.get("type") or "") if isinstance(config, dict) else ""


def check_network(facts: ClusterFacts) -> Check:
    name = "vpc_cni_network"
    network = facts.network
    if network is None:
        return Check(
            name,
            ABSENT,
            "no NetworkAttachmentDefinition %s" % VPC_CNI_NETWORK,
            will="the multus role creates it (multus_vpc_cni_network: true, the default)",
            will_not="start a fixed-IP pod before it exists: the pods name it in v1.multus-cni.io/default-network",
        )
    kind = _network_type(network)
    text = "NetworkAttachmentDefinition %s, CNI type %s" % (
        VPC_CNI_NETWORK,
        kind or "unreadable (spec.config is not JSON)",
    )
    if is_ours(network, facts.field_manager):
        return Check(name, OK if kind else WARN, text + ", created by ksyun.kce", will="keep it with the multus role")
    return Check(
        name,
        OK if kind else WARN,
        "%s (%s)" % (text, owner_text(network)),
        will="leave it alone (deploy_multus: auto); fixed-IP pods use it as it is",
        will_not="change it (multus_take_over: true with deploy_multus: true would)",
    )


def _labels(node: Mapping[str, Any]) -> Mapping[str, str]:
    return (node.get("metadata") or {}).get("labels") or {}


def _name(node: Mapping[str, Any]) -> str:
    return (node.get("metadata") or {}).get("name", "")


def _selected(facts: ClusterFacts) -> List[Mapping[str, Any]]:
    return [n for n in facts.nodes if all(_labels(n).get(k) == str(v) for k, v in facts.node_selector.items())]


def _selector_text(selector: Mapping[str, str]) -> str:
    return ",".join("%s=%s" % (k, v) for k, v in sorted(selector.items()))


def check_nodes(facts: ClusterFacts) -> Check:
    name = "vpc_cni_nodes"
    selector = _selector_text(facts.node_selector)
    if not facts.nodes:
        return Check(name, WARN, "the cluster has no node", will_not="run any pod until nodes join")
    selected = _selected(facts)
    others = sorted(_name(n) for n in facts.nodes if n not in selected)
    if not selected:
        return Check(
            name,
            ABSENT,
            "no node of %d is labelled %s" % (len(facts.nodes), selector),
            will="run VPC-CNI where vpc_cni_node_selector points: label the nodes of the VPC-CNI node pools %s (KCE's "
            "node pools with VPC-CNI carry it), or set the selector to their labels" % selector,
            will_not="run the vpc_cni role with a selector that matches no node (its preflight refuses)",
        )
    zones: Dict[str, int] = {}
    for node in selected:
        zone = _labels(node).get(ZONE_LABEL, "no zone label")
        zones[zone] = zones.get(zone, 0) + 1
    found = "%d of %d nodes labelled %s (%s)" % (
        len(selected),
        len(facts.nodes),
        selector,
        ", ".join("%s: %d" % item for item in sorted(zones.items())),
    )
    return Check(
        name,
        OK,
        found + ("; not labelled: %s" % few(others) if others else ""),
        will="run VPC-CNI and fixed-IP pods on the labelled nodes",
        will_not="give a fixed IP on %s (no VPC-CNI there)" % few(others) if others else "",
    )


def _allocatable(node: Mapping[str, Any], resource: str) -> int:
    value = ((node.get("status") or {}).get("allocatable") or {}).get(resource)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return 0


def check_node_resources(facts: ClusterFacts) -> Check:
    name = "node_resources"
    nodes = _selected(facts) or list(facts.nodes)
    offers = {
        resource: [n for n in nodes if _allocatable(n, resource) > 0]
        for resource in (SHARED_RESOURCE, EXCLUSIVE_RESOURCE)
    }
    if not any(offers.values()):
        return Check(
            name,
            ABSENT,
            "no node offers %s or %s" % (SHARED_RESOURCE, EXCLUSIVE_RESOURCE),
            will="schedule fixed-IP pods once VPC-CNI's device plugin reports them (the vpc_cni role's DaemonSet, or "
            "KCE's VpcCNI)",
            will_not="schedule a fixed-IP pod before then: the fixed_ip_statefulset role asks for one %s (shared) or "
            "%s (exclusive) per pod" % (SHARED_RESOURCE, EXCLUSIVE_RESOURCE),
        )
    parts = []
    for resource, having in offers.items():
        parts.append(
            "%s on %d of %d nodes (%d in all)"
            % (resource, len(having), len(nodes), sum(_allocatable(n, resource) for n in having))
        )
    missing = [resource for resource, having in offers.items() if not having]
    bare = sorted(_name(n) for n in nodes if not any(n in having for having in offers.values()))
    will = "schedule shared ENI mode pods on %s and exclusive ENI mode pods on %s" % (
        SHARED_RESOURCE,
        EXCLUSIVE_RESOURCE,
    )
    will_not = []
    for resource in missing:
        mode = "a shared" if resource == SHARED_RESOURCE else "an exclusive"
        will_not.append("schedule %s ENI mode pod: no node offers %s" % (mode, resource))
    if bare:
        will_not.append("place a fixed-IP pod on %s (neither resource)" % few(bare))
    return Check(name, WARN if will_not else OK, "; ".join(parts), will, "; ".join(will_not))


def check_zones(facts: ClusterFacts) -> Optional[Check]:
    """Zones of the VPC-CNI nodes against the configuration's container subnets; None without a usable configuration."""
    if not facts.config.usable:
        return None
    node_zones = sorted({_labels(n).get(ZONE_LABEL, "") for n in _selected(facts)} - {""})
    uncovered = [zone for zone in node_zones if not facts.config.pod_subnets.get(zone)]
    found = "VPC-CNI nodes in %s; container subnets in %s" % (
        ", ".join(node_zones) or "no zone",
        ", ".join(sorted(facts.config.pod_subnets)) or "no zone",
    )
    if uncovered:
        return Check(
            "zones",
            WARN,
            found,
            will="give fixed IPs in %s" % (", ".join(z for z in node_zones if z not in uncovered) or "no zone"),
            will_not="give a pod an IP in %s: no container subnet there (add one to podSubnets / vpc_cni_pod_subnets)"
            % ", ".join(uncovered),
        )
    return Check("zones", OK, found, will="keep each fixed IP in its subnet's zone and pin its pod there")


def check_zone_guard(facts: ClusterFacts) -> Check:
    name = "zone_guard"
    if not facts.zone_guard_served:
        return Check(
            name,
            WARN,
            "the cluster does not serve %s (Kubernetes 1.36 or later)" % ZONE_GUARD_API,
            will="go on without the zone guard (vpc_cni_zone_guard: auto); the fixed_ip_statefulset role pins each "
            "StatefulSet's zone, and ksyun.kce.audit reports a pod outside its IP's zone",
            will_not="guard fixed-IP pods of StatefulSets applied without the fixed_ip_statefulset role (re-created in "
            "another zone, such a pod waits without an IP); vpc_cni_zone_guard: required fails",
        )
    installed = ", ".join(facts.zone_guard_policies)
    return Check(
        name,
        OK,
        "%s is served; %s"
        % (ZONE_GUARD_API, "zone guard installed: %s" % installed if installed else "no zone guard yet"),
        will="pin a re-created fixed-IP pod to its IP's zone"
        + ("" if installed else " once the vpc_cni role installs the guard"),
    )


def cluster_checks(facts: ClusterFacts) -> List[Check]:
    """Every cluster-side check, in the order the report shows them."""
    checks = [check_config(facts.config)]
    checks.extend(check_crd(facts, expected) for expected in facts.expected_crds)
    checks.extend([check_multus(facts), check_network(facts), check_nodes(facts), check_node_resources(facts)])
    zones = check_zones(facts)
    if zones is not None:
        checks.append(zones)
    checks.append(check_zone_guard(facts))
    return checks
