# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ksyun.kce.preflight_info: read what the collection's conventions depend on in the cluster, and check it.

Only reads (GET and LIST, and API discovery): the VPC-CNI ConfigMap (checked by the flows' parser), every CRD, every
DaemonSet, the kube-system/vpc-cni NetworkAttachmentDefinition, the nodes, and whether MutatingAdmissionPolicy is
served with the zone guard's policies. The checks themselves are the domain's (fixed_ip/preflight.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.ownership import OURS, is_ours, managers
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight import ConfigView
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight_cluster import (
    VPC_CNI_NODE_LABEL,
    ClusterFacts,
    cluster_checks,
    expected_crd,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    ClusterConfigError,
    parse_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION, KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, get_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import DAEMON_MODES
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import CLUSTER_CONFIG_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_group_version
from ansible_collections.ksyun.kce.plugins.module_utils.runner.flow_context import config_map_ref

ZONE_GUARD_PREFIX = "ksyun-fixed-ip-zone-"
# The platform's DaemonMode word -> the ENI mode it means, from the one home of the platform's words.
_MODES = {word.lower(): mode.value for mode, word in DAEMON_MODES.items()}


def read_config(module: KceModule) -> ConfigView:
    """The ConfigMap as the flows' parser reads it (one GET); a value it refuses is kept as the view's error."""
    namespace, name = config_map_ref(module.params["cluster_config"])
    source = "ConfigMap %s/%s" % (namespace, name)
    found = get_or_none(module.kube, "v1", "ConfigMap", name, namespace)
    if found is None:
        return ConfigView(source=source)
    who = dict(managers=tuple(managers(found)), ours=is_ours(found, module.params["field_manager"]))
    try:
        config = parse_cluster_config(found.get("data") or {}, source)
    except ClusterConfigError as err:
        return ConfigView(source=source, found=True, error=str(err), **who)
    settings = config.settings
    return ConfigView(
        source=source,
        found=True,
        cluster_name=settings.cluster_name,
        fixed_ip=settings.fixed_ip,
        retention=str(settings.default_retention),
        pod_subnets={zone: tuple(ids) for zone, ids in settings.pod_subnets.items()},
        security_group_ids=tuple(settings.security_group_ids),
        crd_group=config.crd_group,
        crd_version=config.crd_version,
        daemon_mode=config.daemon_mode,
        mode=_MODES.get(config.daemon_mode.lower(), ""),
        **who,
    )


def _items(module: KceModule, api_version: str, kind: str) -> List[Dict[str, Any]]:
    """Every object of a served kind (all namespaces); [] when the cluster does not serve it."""
    resource = K8sService(module.k8s, module.ansible).find_resource(kind, api_version, fail=False)
    if resource is None:
        return []
    return as_dict(resource.get()).get("items") or []


def _served(module: KceModule, api_version: str, kind: str) -> bool:
    return K8sService(module.k8s, module.ansible).find_resource(kind, api_version, fail=False) is not None


def _network(module: KceModule) -> Optional[Dict[str, Any]]:
    if not _served(module, "k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition"):
        return None
    return get_or_none(module.kube, "k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition", "vpc-cni", "kube-system")


def read_facts(module: KceModule) -> ClusterFacts:
    params = module.params
    config = read_config(module)
    group = params.get("group") or config.crd_group or DEFAULT_GROUP
    version = params.get("version") or config.crd_version or DEFAULT_VERSION
    check_group_version(group, version)
    selector = params["node_selector"]
    if not isinstance(selector, dict) or not all(isinstance(v, (str, bool, int)) for v in selector.values()):
        raise ModuleError(
            "node_selector %r must map label names to values, such as {%s: 'true'}" % (selector, VPC_CNI_NODE_LABEL)
        )
    guard_served = _served(module, "admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy")
    policies = _items(module, "admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy") if guard_served else []
    return ClusterFacts(
        config=config,
        expected_crds=tuple(expected_crd(crd(kind, group=group, version=version)) for kind in sorted(KINDS)),
        crds=tuple(_items(module, "apiextensions.k8s.io/v1", "CustomResourceDefinition")),
        daemonsets=tuple(_items(module, "apps/v1", "DaemonSet")),
        network=_network(module),
        nodes=tuple(_items(module, "v1", "Node")),
        zone_guard_served=guard_served,
        zone_guard_policies=tuple(
            sorted(p["metadata"]["name"] for p in policies if p["metadata"]["name"].startswith(ZONE_GUARD_PREFIX))
        ),
        node_selector={str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in selector.items()},
        field_manager=params["field_manager"],
    )


def preflight(module: KceModule) -> Dict[str, Any]:
    facts = read_facts(module)
    checks = cluster_checks(facts)
    config = facts.config
    return {
        "changed": False,
        "checks": [check.as_dict() for check in checks],
        "config": config.as_dict(),
        "crd_group": facts.expected_crds[0].group,
        "crd_version": facts.expected_crds[0].version,
        "pod_subnet_ids": sorted({s for ids in config.pod_subnets.values() for s in ids}),
        "node_names": sorted(node["metadata"]["name"] for node in facts.nodes),
    }


def run_preflight_module() -> None:
    argument_spec = dict(
        CLUSTER_CONFIG_ARGS,
        node_selector={"type": "dict", "default": {VPC_CNI_NODE_LABEL: "true"}},
        field_manager={"type": "str", "default": OURS},
    )
    KceModule(argument_spec, cluster=True).run(preflight)
