# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster's VPC-CNI fixed-IP configuration, read from a ConfigMap (default ``kube-system/ksyun-vpc-cni``).

ConfigMap keys (all values are text, as in any ConfigMap):

    clusterName                 required; starts every ENI name, e.g. the KCE cluster id
    securityGroupIds            security groups of pod ENIs: "sg-1,sg-2" or a JSON list
    podSubnets                  JSON object, zone -> subnet ids in order of preference:
                                {"cn-beijing-6a": ["<subnet id>"], "cn-beijing-6b": ["<subnet id>"]}
    ipRetention                 the IP reclaim policy: "never" (default, as on the product page) or "30m", "24h", "7d"
    fixedIpEnabled              fixed Pod IP on ("true", default) or off ("false": fixed-IP pods get ordinary IPs)
    crdGroup, crdVersion        API group/version of PodEni/PodEniIP (default k8s.ksyun.com, v1)
    daemonMode                  the platform's VPC-CNI DaemonMode (kce2 ModifyCluster VpcCNI.DaemonMode): "eniMultiIP"
                                (shared ENI), "eniOnly" (exclusive ENI) or absent (a self-managed add-on)

How the KSYUN API behaves where that is unknown (fixed_ip.settings.CloudBehaviour; "true"/"false"):

    reserveAssignedIpSupported     an assigned IP can be marked specific (default "false")
    assignSpecificIpSupported      an explicit assign may take a specific IP (default "true")
    availableExcludesReserved      DescribeSubnetAvailableAddresses leaves specific IPs out (default "true")
    eniQuotaCountsPrimary          NetworkInterfaceCount includes the primary ENI (default "true")
    ipQuotaCountsPrimary           PrivateIpCount includes the primary IP (default "true")
    ipQuotaPerInstance             PrivateIpCount limits all ENIs of an instance together (default "false")

Other keys are ignored, so the add-on's own settings may share the ConfigMap.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import DAEMON_MODES
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour, Settings
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import get_or_none

DEFAULT_NAMESPACE = "kube-system"
DEFAULT_NAME = "ksyun-vpc-cni"

CLUSTER_NAME = "clusterName"
SECURITY_GROUP_IDS = "securityGroupIds"
POD_SUBNETS = "podSubnets"
IP_RETENTION = "ipRetention"
FIXED_IP_ENABLED = "fixedIpEnabled"
# CloudBehaviour field -> ConfigMap key.
CLOUD_BEHAVIOUR_KEYS = {
    "reserve_assigned_ip": "reserveAssignedIpSupported",
    "assign_specific_ip": "assignSpecificIpSupported",
    "available_excludes_reserved": "availableExcludesReserved",
    "eni_quota_counts_primary": "eniQuotaCountsPrimary",
    "ip_quota_counts_primary": "ipQuotaCountsPrimary",
    "ip_quota_per_instance": "ipQuotaPerInstance",
}
CRD_GROUP = "crdGroup"
CRD_VERSION = "crdVersion"
DAEMON_MODE = "daemonMode"

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
GROUP_PATTERN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+")
VERSION_PATTERN = re.compile(r"v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?")
_SUBNETS_EXAMPLE = '{"cn-beijing-6a": ["<subnet id>"]}'


class ClusterConfigError(FixedIpError):
    """The ConfigMap is missing or one of its keys has a value the flows cannot use."""


@dataclass(frozen=True)
class ClusterConfig:
    """settings: what every plan needs; crd_group/crd_version: where the records live; source: where it was read;
    daemon_mode: the platform's VPC-CNI DaemonMode, "" where the ConfigMap does not say (a self-managed add-on)."""

    settings: Settings
    crd_group: str = DEFAULT_GROUP
    crd_version: str = DEFAULT_VERSION
    source: str = "defaults"
    daemon_mode: str = ""


def _bad(source: str, key: str, value: Any, what: str) -> ClusterConfigError:
    return ClusterConfigError("%s: key %s has value %r; %s" % (source, key, value, what))


def _flag(data: Mapping[str, Any], key: str, default: bool, source: str) -> bool:
    value = data.get(key)
    if value is None or str(value).strip() == "":
        return default
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise _bad(source, key, value, 'write "true" or "false"')
    return text == "true"


def _ids(value: Any, key: str, source: str) -> List[str]:
    """A list of cloud ids from a JSON list or comma/space separated text; every id must be a UUID."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad(source, key, value, 'write a JSON list such as ["<id>"] or comma-separated ids') from None
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,]+", value) if part]
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise _bad(source, key, value, "write comma-separated ids or a JSON list of ids")
    for item in value:
        if not _UUID.fullmatch(item):
            raise _bad(
                source, key, item, "KSYUN ids look like 5f2c7a10-0003-4a6e-9c1b-000000000001; copy it from the console"
            )
    return list(value)


def _subnets(value: Any, source: str) -> Dict[str, List[str]]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad(
                source, POD_SUBNETS, value, "write a JSON object of zone to subnet ids, e.g. %s" % _SUBNETS_EXAMPLE
            ) from None
    if not isinstance(value, dict):
        raise _bad(source, POD_SUBNETS, value, "write a JSON object of zone to subnet ids, e.g. %s" % _SUBNETS_EXAMPLE)
    out = {}
    for zone, ids in value.items():
        if not isinstance(zone, str) or not zone.strip():
            raise _bad(source, POD_SUBNETS, value, "every zone must be a non-empty name such as cn-beijing-6a")
        if isinstance(ids, str):
            ids = [ids]
        out[zone] = _ids(ids, "%s[%s]" % (POD_SUBNETS, zone), source)
    return out


def _behaviour(data: Mapping[str, Any], source: str) -> CloudBehaviour:
    defaults = CloudBehaviour()
    return CloudBehaviour(
        **{item: _flag(data, key, getattr(defaults, item), source) for item, key in CLOUD_BEHAVIOUR_KEYS.items()}
    )


def parse_cluster_config(
    data: Optional[Mapping[str, Any]], source: str = "ConfigMap %s/%s" % (DEFAULT_NAMESPACE, DEFAULT_NAME)
) -> ClusterConfig:
    """The configuration from ConfigMap data; any bad value raises ClusterConfigError naming the key and the value."""
    data = dict(data or {})
    name = str(data.get(CLUSTER_NAME) or "").strip()
    if not name:
        raise ClusterConfigError(
            "%s has no %s; set it to the KCE cluster id (it starts every ENI name this collection creates)"
            % (source, CLUSTER_NAME)
        )
    groups = _ids(data.get(SECURITY_GROUP_IDS) or [], SECURITY_GROUP_IDS, source)
    subnets = _subnets(data.get(POD_SUBNETS), source)
    try:
        retention = Retention.parse(data.get(IP_RETENTION))
    except FixedIpError as err:
        raise _bad(source, IP_RETENTION, data.get(IP_RETENTION), str(err)) from None
    group = str(data.get(CRD_GROUP) or DEFAULT_GROUP).strip()
    if not GROUP_PATTERN.fullmatch(group):
        raise _bad(source, CRD_GROUP, group, "an API group is a DNS name such as k8s.ksyun.com")
    version = str(data.get(CRD_VERSION) or DEFAULT_VERSION).strip()
    if not VERSION_PATTERN.fullmatch(version):
        raise _bad(source, CRD_VERSION, version, "an API version looks like v1 or v1beta1")
    daemon_mode = str(data.get(DAEMON_MODE) or "").strip()
    if daemon_mode and daemon_mode not in DAEMON_MODES.values():
        raise _bad(
            source,
            DAEMON_MODE,
            daemon_mode,
            "the KCE API's DaemonMode is %s (shared ENI) or %s (exclusive ENI); leave it out for a self-managed add-on"
            % (DAEMON_MODES[Mode.SHARED], DAEMON_MODES[Mode.EXCLUSIVE]),
        )
    try:
        settings = Settings(
            cluster_name=name,
            security_group_ids=tuple(groups),
            pod_subnets=subnets,
            default_retention=retention,
            cloud=_behaviour(data, source),
            fixed_ip=_flag(data, FIXED_IP_ENABLED, True, source),
        )
    except FixedIpError as err:
        raise _bad(source, CLUSTER_NAME, name, str(err)) from None
    return ClusterConfig(
        settings=settings, crd_group=group, crd_version=version, source=source, daemon_mode=daemon_mode
    )


def read_cluster_config(kube: Any, namespace: str = DEFAULT_NAMESPACE, name: str = DEFAULT_NAME) -> ClusterConfig:
    """Read and check the ConfigMap (one GET); a missing ConfigMap is an error saying how to create it."""
    source = "ConfigMap %s/%s" % (namespace, name)
    found = get_or_none(kube, "v1", "ConfigMap", name, namespace)
    if found is None:
        raise ClusterConfigError(
            "%s does not exist; create it with at least %s, %s and %s (see config_map_data), or name the "
            "ConfigMap that holds the VPC-CNI configuration" % (source, CLUSTER_NAME, SECURITY_GROUP_IDS, POD_SUBNETS)
        )
    return parse_cluster_config(found.get("data") or {}, source)


def config_map_data(
    settings: Settings, crd_group: str = DEFAULT_GROUP, crd_version: str = DEFAULT_VERSION, daemon_mode: str = ""
) -> Dict[str, str]:
    """The ConfigMap data that parse_cluster_config reads back as these settings (for installers)."""
    return {
        **({DAEMON_MODE: daemon_mode} if daemon_mode else {}),
        CLUSTER_NAME: settings.cluster_name,
        SECURITY_GROUP_IDS: ",".join(settings.security_group_ids),
        POD_SUBNETS: json.dumps(
            {zone: list(ids) for zone, ids in sorted(settings.pod_subnets.items())}, sort_keys=True
        ),
        IP_RETENTION: str(settings.default_retention),
        FIXED_IP_ENABLED: "true" if settings.fixed_ip else "false",
        **{key: "true" if getattr(settings.cloud, item) else "false" for item, key in CLOUD_BEHAVIOUR_KEYS.items()},
        CRD_GROUP: crd_group,
        CRD_VERSION: crd_version,
    }
