# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VPC-CNI ConfigMap data from role variables, checked by the same parser the flows read it with."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: vpc_cni_config
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: The data of the VPC-CNI ConfigMap (kube-system/ksyun-vpc-cni) from plain settings
description:
  - Builds the data of the ConfigMap the fixed-IP flows, the modules and the node agent read their cluster settings
    from, and checks it with the same parser they use, so a value the cluster could not use fails here, before
    anything is applied. The error names the setting (with O(prefix) in front) and its value.
options:
  _input:
    description:
      - The settings. C(cluster_name) (required), C(security_group_ids) (list), C(pod_subnets) (zone to a list of
        subnet ids, in order of preference), C(ip_retention) (V(never) or a duration such as V(24h)), C(fixed_ip)
        (bool), C(cloud_behaviour) (dict of the M(ksyun.kce.fixed_ip) O(ksyun.kce.fixed_ip#module:cloud_behaviour)
        fields), C(crd_group), C(crd_version), C(daemon_mode) (the platform's VPC-CNI DaemonMode, V(eniMultiIP) or
        V(eniOnly); empty or left out for a self-managed add-on).
    type: dict
    required: true
  prefix:
    description: Put in front of each setting's name in error messages, for example V(vpc_cni_).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Write the VPC-CNI configuration
  kubernetes.core.k8s:
    definition:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: ksyun-vpc-cni
        namespace: kube-system
      data: "{{ settings | ksyun.kce.vpc_cni_config(prefix='vpc_cni_') }}"
  vars:
    settings:
      cluster_name: kce-prod
      security_group_ids: [5f2c7a10-0003-4a6e-9c1b-000000000001]
      pod_subnets:
        cn-beijing-6a: [5f2c7a10-0002-4a6e-9c1b-000000000001]
      ip_retention: never
      fixed_ip: true
"""

RETURN = r"""
_value:
  description: The ConfigMap data; every value is text.
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    CLOUD_BEHAVIOUR_KEYS,
    CLUSTER_NAME,
    CRD_GROUP,
    CRD_VERSION,
    DAEMON_MODE,
    FIXED_IP_ENABLED,
    IP_RETENTION,
    POD_SUBNETS,
    SECURITY_GROUP_IDS,
    config_map_data,
    parse_cluster_config,
)

# Setting name -> ConfigMap key, so an error of the parser names the setting the user wrote.
_KEYS = {
    "cluster_name": CLUSTER_NAME,
    "security_group_ids": SECURITY_GROUP_IDS,
    "pod_subnets": POD_SUBNETS,
    "ip_retention": IP_RETENTION,
    "fixed_ip": FIXED_IP_ENABLED,
    "crd_group": CRD_GROUP,
    "crd_version": CRD_VERSION,
    "daemon_mode": DAEMON_MODE,
}
_SOURCE = "VPC-CNI settings"


def _flag(value, name):
    if not isinstance(value, bool):
        raise AnsibleFilterError("%s is %r; write true or false" % (name, value))
    return "true" if value else "false"


def vpc_cni_config(settings, prefix=""):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("vpc_cni_config: %r is not a dict of settings" % (settings,))
    unknown = sorted(set(settings) - set(_KEYS) - {"cloud_behaviour"})
    if unknown:
        raise AnsibleFilterError(
            "vpc_cni_config: unknown settings %s; known: %s" % (", ".join(unknown), ", ".join(sorted(_KEYS)))
        )
    raw = {}
    for name, key in _KEYS.items():
        value = settings.get(name)
        if value is None:
            continue
        if name == "fixed_ip":
            value = _flag(value, prefix + name)
        elif isinstance(value, (list, dict)):
            value = json.dumps(value)
        raw[key] = value
    behaviour = settings.get("cloud_behaviour") or {}
    if not isinstance(behaviour, dict):
        raise AnsibleFilterError(
            "%scloud_behaviour is %r; write a dict such as {reserve_assigned_ip: true}" % (prefix, behaviour)
        )
    fields = sorted(CLOUD_BEHAVIOUR_KEYS)
    for item, value in behaviour.items():
        if item not in CLOUD_BEHAVIOUR_KEYS:
            raise AnsibleFilterError(
                "%scloud_behaviour has unknown key %r; known: %s" % (prefix, item, ", ".join(fields))
            )
        raw[CLOUD_BEHAVIOUR_KEYS[item]] = _flag(value, "%scloud_behaviour.%s" % (prefix, item))
    try:
        parsed = parse_cluster_config(raw, _SOURCE)
    except FixedIpError as err:
        message = str(err)
        for name, key in sorted(_KEYS.items(), key=lambda pair: -len(pair[1])):
            message = message.replace("key %s" % key, prefix + name).replace(key, prefix + name)
        raise AnsibleFilterError(message) from None
    return config_map_data(parsed.settings, parsed.crd_group, parsed.crd_version, parsed.daemon_mode)


class FilterModule(object):
    """ksyun.kce.vpc_cni_config"""

    def filters(self):
        return {"vpc_cni_config": vpc_cni_config}
