# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""main() of ksyun.kce.pod_eni and ksyun.kce.pod_eni_ip: the same flow for either kind."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.common import GROUP_VERSION_ARGSPEC, k8s_module, run_k8s_module
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.record_state import RecordState, check_options


def run_record_module(mode: Mode, argument_spec: Dict[str, Any]) -> None:
    module = k8s_module(dict(argument_spec, **GROUP_VERSION_ARGSPEC))
    params = module.params
    # Custom resources take no strategic merge patch; asking for it first would cost a failed request.
    params["merge_type"] = ["merge"]

    run_k8s_module(module, lambda svc: RecordState(svc, mode, params["group"], params["version"]).run(params),
                   check=lambda: check_options(mode, params))
