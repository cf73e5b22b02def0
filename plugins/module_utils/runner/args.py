# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option specs the modules share (the pattern of kubernetes.core's args_common.py): each option is written once.

The matching documentation is in plugins/doc_fragments/ (ksyun.py, fixed_ip.py, k8s_auth_options.py).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Dict

from ansible.module_utils.basic import env_fallback

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import DEFAULT_NAME, DEFAULT_NAMESPACE
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION

# No defaults here: CloudBehaviour holds them, so the flows and the modules share one set.
CLOUD_BEHAVIOUR_ARGS = {item.name: {"type": "bool"} for item in dataclasses.fields(CloudBehaviour)}

# The credentials have no env fallback here: ksyun/config.resolve_credentials reads the variables, because a key pair is
# taken from one source (options, KSYUN_ACCESS_KEY_ID/KSYUN_SECRET_ACCESS_KEY or KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY), which
# an option filled from the environment would hide.
KSYUN_ARGS: Dict[str, Any] = {
    "access_key_id": {"type": "str", "no_log": False, "aliases": ["access_key"]},
    "secret_access_key": {"type": "str", "no_log": True, "aliases": ["secret_key"]},
    "region": {"type": "str", "fallback": (env_fallback, ["KSYUN_REGION"])},
    "endpoint": {"type": "str", "fallback": (env_fallback, ["KSYUN_ENDPOINT"])},
    "scheme": {"type": "str", "choices": ["https", "http"], "fallback": (env_fallback, ["KSYUN_SCHEME"])},
    "timeout": {"type": "float", "default": 30},
    "max_attempts": {"type": "int", "default": 5},
    "cloud_behaviour": {"type": "dict", "options": CLOUD_BEHAVIOUR_ARGS},
}

INSTANCE_CHECKS_ARGS: Dict[str, Any] = {
    "project_ids": {"type": "list", "elements": "int"},
    "check_quotas": {"type": "bool", "default": True},
}

WAIT_ARGS: Dict[str, Any] = {
    "wait_timeout": {"type": "int", "default": 300},
}

# The record modules and fixed_ip_crds: the API group/version of the CRDs, with their defaults.
GROUP_VERSION_ARGS: Dict[str, Any] = {
    "group": {"type": "str", "default": DEFAULT_GROUP},
    "version": {"type": "str", "default": DEFAULT_VERSION},
}

# fixed_ip and fixed_ip_info: group/version default to the cluster configuration's.
CLUSTER_CONFIG_ARGS: Dict[str, Any] = {
    "cluster_config": {"type": "str", "default": "%s/%s" % (DEFAULT_NAMESPACE, DEFAULT_NAME)},
    "group": {"type": "str"},
    "version": {"type": "str"},
}


# How an EIP is allocated: ksyun.kce.eip (top level) and ksyun.kce.fixed_ip (eip_allocation).
EIP_CHARGE_TYPES = ["Monthly", "Peak", "Daily", "TrafficMonthly", "DailyPaidByTransfer", "HourlyInstantSettlement"]
EIP_ALLOCATION_ARGS: Dict[str, Any] = {
    "band_width": {"type": "int"},
    "line_id": {"type": "str"},
    "charge_type": {"type": "str", "choices": EIP_CHARGE_TYPES},
    "purchase_time": {"type": "int"},
    "project_id": {"type": "str"},
}


def k8s_auth_args() -> Dict[str, Any]:
    """kubernetes.core's connection options, as kubernetes.core.k8s takes them."""
    return copy.deepcopy(AUTH_ARG_SPEC)
