# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The modules that need the cluster and the cloud (ksyun.kce.fixed_ip, ksyun.kce.fixed_ip_info): their configuration and flow context.

The cluster configuration (the VPC-CNI ConfigMap) decides how the cloud behaves for these modules,
as it does for the node's VPC-CNI; a task whose O(cloud_behaviour) says otherwise is warned.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    ClusterConfig,
    read_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import default_identity
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import get_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_group_version


def config_map_ref(text: str) -> Tuple[str, str]:
    """("kube-system", "ksyun-vpc-cni") from "kube-system/ksyun-vpc-cni"."""
    parts = (text or "").split("/")
    if len(parts) != 2 or not all(parts):
        raise ModuleError(
            "cluster_config %r must name the ConfigMap as <namespace>/<name>, such as %s/%s"
            % (text, DEFAULT_NAMESPACE, DEFAULT_NAME)
        )
    return parts[0], parts[1]


def _warn_on_other_behaviour(module: KceModule, config: ClusterConfig) -> None:
    given = {k: v for k, v in (module.params.get("cloud_behaviour") or {}).items() if v is not None}
    differs = sorted(k for k, v in given.items() if getattr(config.settings.cloud, k) != v)
    if differs:
        module.warn(
            "cloud_behaviour %s differs from %s; the cluster configuration is used, so VPC-CNI on the nodes and this task agree"
            % (", ".join("%s=%s" % (k, given[k]) for k in differs), config.source)
        )


def cluster_config(module: KceModule, required: bool = True) -> Optional[ClusterConfig]:
    """The configuration from the O(cluster_config) ConfigMap with group/version overridden by the options.

    required=False: a missing ConfigMap gives None (readers then use the default group/version and cloud behaviour).
    """
    params = module.params
    namespace, name = config_map_ref(params["cluster_config"])
    if required or get_or_none(module.kube, "v1", "ConfigMap", name, namespace) is not None:
        config = read_cluster_config(module.kube, namespace, name)
        group, version = params.get("group") or config.crd_group, params.get("version") or config.crd_version
        check_group_version(group, version)
        _warn_on_other_behaviour(module, config)
        return dataclasses.replace(config, crd_group=group, crd_version=version)
    check_group_version(params.get("group") or DEFAULT_GROUP, params.get("version") or DEFAULT_VERSION)
    return None


def behaviour_of(module: KceModule, config: Optional[ClusterConfig]) -> CloudBehaviour:
    return config.settings.cloud if config is not None else module.behaviour


def flow_context(module: KceModule, **options: Any) -> FlowContext:
    """The flows' context: the cluster configuration read from the ConfigMap, group/version overridden by the options."""
    config = cluster_config(module)
    return FlowContext(
        module.kube,
        module.client,
        config,
        identity=default_identity(module.name),
        project_ids=module.params.get("project_ids"),
        **options,
    )
