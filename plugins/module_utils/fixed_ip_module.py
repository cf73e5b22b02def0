# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the modules that need both the cluster and the cloud (ksyun.kce.fixed_ip, ksyun.kce.fixed_ip_info).

One AnsibleModule carries kubernetes.core's auth options and the collection's KSYUN options: it is
built by ``KsyunModule`` (KSYUN argspec, the client, its check-mode write guard) and wrapped by
``AnsibleK8SModule`` (kubernetes library checks, ``get_api_client``), so neither set of options is copied.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Dict, Optional, Tuple

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME, DEFAULT_NAMESPACE, ClusterConfig, read_cluster_config)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.kube import get_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import default_identity
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.common import K8sFailure, check_group_version
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun_module import KsyunModule

CLUSTER_ARGSPEC = {
    "cluster_config": {"type": "str", "default": "%s/%s" % (DEFAULT_NAMESPACE, DEFAULT_NAME)},
    "group": {"type": "str"},
    "version": {"type": "str"},
}


def cluster_and_cloud_module(argument_spec: Dict[str, Any], **kwargs) -> Tuple[AnsibleK8SModule, KsyunModule]:
    """(k8s module, cloud module) sharing one AnsibleModule with the auth, KSYUN and given options."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(CLUSTER_ARGSPEC)
    spec.update(argument_spec)
    built = {}

    def build(**module_kwargs):
        built["cloud"] = KsyunModule(**module_kwargs)
        return built["cloud"].module

    kwargs.setdefault("supports_check_mode", True)
    k8s = AnsibleK8SModule(module_class=build, argument_spec=spec, **kwargs)
    return k8s, built["cloud"]


def config_map_ref(text: str) -> Tuple[str, str]:
    """("kube-system", "ksyun-vpc-cni") from "kube-system/ksyun-vpc-cni"."""
    parts = (text or "").split("/")
    if len(parts) != 2 or not all(parts):
        raise K8sFailure("cluster_config %r must name the ConfigMap as <namespace>/<name>, such as %s/%s" % (text, DEFAULT_NAMESPACE, DEFAULT_NAME))
    return parts[0], parts[1]


def cluster_config(k8s: AnsibleK8SModule, kube, required: bool = True) -> Optional[ClusterConfig]:
    """The cluster configuration from the O(cluster_config) ConfigMap with group/version overridden by the options.

    required=False: a missing ConfigMap gives None (the readers then use the default group/version).
    """
    params = k8s.params
    namespace, name = config_map_ref(params["cluster_config"])
    if required or get_or_none(kube, "v1", "ConfigMap", name, namespace) is not None:
        config = read_cluster_config(kube, namespace, name)
        group, version = params.get("group") or config.crd_group, params.get("version") or config.crd_version
        check_group_version(group, version)
        return dataclasses.replace(config, crd_group=group, crd_version=version)
    check_group_version(params.get("group") or DEFAULT_GROUP, params.get("version") or DEFAULT_VERSION)
    return None


def flow_context(k8s: AnsibleK8SModule, cloud: KsyunModule, **options) -> FlowContext:
    """The flows' context: the cluster configuration read from the ConfigMap, group/version overridden by the options."""
    kube = get_api_client(k8s).client
    config = cluster_config(k8s, kube)
    identity = default_identity(k8s._name)  # pylint: disable=protected-access
    return FlowContext(kube, cloud.client, config, identity=identity, project_ids=k8s.params.get("project_ids"), **options)
