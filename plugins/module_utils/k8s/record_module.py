# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ksyun.kce.pod_eni and ksyun.kce.pod_eni_ip: the same flow for either kind."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.common import GROUP_VERSION_ARGSPEC, K8sFailure, check_group_version, k8s_module
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.record_state import RecordState, check_options


def run_record_module(mode: Mode, argument_spec: Dict[str, Any]) -> None:
    module = k8s_module(dict(argument_spec, **GROUP_VERSION_ARGSPEC))
    params = module.params
    # Custom resources take no strategic merge patch; asking for it first would cost a failed request.
    params["merge_type"] = ["merge"]
    try:
        check_group_version(params["group"], params["version"])
        check_options(mode, params)
        state = RecordState(K8sService(get_api_client(module), module), mode, params["group"], params["version"])
        result = state.run(params)
    except K8sFailure as exc:
        module.fail_json(msg=str(exc), **exc.details)
    except CoreException as exc:
        module.fail_from_exception(exc)
    diff = result.pop("diff")
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff
    module.exit_json(**result)
