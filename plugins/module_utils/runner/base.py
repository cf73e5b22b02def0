# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every module: one failure type, one place that fails, and the clients a module needs.

``KceModule(argument_spec, cloud=..., cluster=...)`` adds the shared options (runner/args.py) and
builds the module; ``module.run(func)`` calls ``func(module)`` and exits with its dict, or fails
through ``failure(exc)`` whatever went wrong (the pattern of amazon.aws's fail_json_aws): a
``ModuleError`` the user can fix, a domain refusal, a flow that stopped part way, a KSYUN API error
with its code and request id, a kubernetes.core error, or a Kubernetes API server that could not be reached. Messages name the option, the value and the fix.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Dict, Mapping, Optional

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import error_text, status_of, unreachable
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import (
    HAS_KSYUN_SDK,
    KSYUN_SDK_IMPORT_TRACEBACK,
    SDK_PACKAGE,
    KsyunClient,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.core import WRITE_ACTIONS
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, KsyunError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import ClusterReader
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import KSYUN_ARGS, k8s_auth_args

# kubernetes.core (and the kubernetes client under it, half a second of every task's start) is imported only by a module
# that talks to a cluster (KceModule(cluster=True) and its k8s property): the cloud-only modules never load it.
K8S_EXCEPTIONS = "ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions"


class ModuleError(Exception):
    """A problem the user can fix: the message names the option or value and what to do; details go into the result."""

    def __init__(self, msg: str, **details: Any) -> None:
        super().__init__(msg)
        self.details = details


def api_error_details(err: BaseException) -> Dict[str, Any]:
    """The fields of a failed API call that help support: code, request id, HTTP status, action ({} for other errors)."""
    if not isinstance(err, KsyunApiError):
        return {}
    return {"code": err.code, "request_id": err.request_id, "http_status": err.status, "action": err.action}


def failure(exc: BaseException) -> Optional[Dict[str, Any]]:
    """fail_json's arguments for an error a module may meet; None for anything else (a bug: let it raise)."""
    if isinstance(exc, ModuleError):
        return dict(exc.details, msg=str(exc))
    partial = getattr(exc, "partial_result", None)
    if isinstance(exc, FixedIpError) and partial is not None:
        return dict(partial(), msg=str(exc))
    if isinstance(exc, KsyunApiError):
        return dict(api_error_details(exc), msg=str(exc))
    if isinstance(exc, (FixedIpError, KsyunError)) or _is_k8s_core_error(exc):
        return {"msg": str(exc)}
    if status_of(exc) is not None:
        # A Kubernetes API error the store passed on (a schema refusal, a permission): its status and message.
        return {"msg": "the Kubernetes API refused the request: %s" % error_text(exc), "status": status_of(exc)}
    if unreachable(exc):
        # The API server went away in the middle of the task (restarted, network): every step is level-triggered.
        return {
            "msg": "the Kubernetes API server could not be reached (%s); check that the cluster answers (kubectl get "
            "--raw /readyz), then run the task again: the rerun finishes what this run started" % error_text(exc)
        }
    return None


def _is_k8s_core_error(exc: BaseException) -> bool:
    """A kubernetes.core CoreException (only a module that imported kubernetes.core can meet one)."""
    core_exception = getattr(sys.modules.get(K8S_EXCEPTIONS), "CoreException", None)
    return core_exception is not None and isinstance(exc, core_exception)


class KceModule:
    """An AnsibleModule (an AnsibleK8SModule with cluster=True) with the shared options, clients and failure path."""

    def __init__(
        self, argument_spec: Dict[str, Any], cloud: bool = False, cluster: bool = False, **kwargs: Any
    ) -> None:
        spec: Dict[str, Any] = {}
        if cluster:
            spec.update(k8s_auth_args())
        if cloud:
            spec.update(KSYUN_ARGS)
        spec.update(argument_spec)
        kwargs.setdefault("supports_check_mode", True)
        if cluster:
            from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import (  # pylint: disable=import-outside-toplevel
                AnsibleK8SModule,
            )

            self.ansible = AnsibleK8SModule(argument_spec=spec, **kwargs)
        else:
            self.ansible = AnsibleModule(argument_spec=spec, **kwargs)
        if cloud and not HAS_KSYUN_SDK:
            self.ansible.fail_json(msg=missing_required_lib(SDK_PACKAGE), exception=KSYUN_SDK_IMPORT_TRACEBACK)
        self._client: Optional[KsyunClient] = None
        self._k8s = None

    @property
    def params(self) -> Dict[str, Any]:
        return self.ansible.params

    @property
    def check_mode(self) -> bool:
        return self.ansible.check_mode

    @property
    def diff_mode(self) -> bool:
        return bool(self.ansible._diff)  # pylint: disable=protected-access

    @property
    def name(self) -> str:
        return self.ansible._name  # pylint: disable=protected-access

    def warn(self, text: str) -> None:
        self.ansible.warn(text)

    # --- the cloud ------------------------------------------------------------------------------

    @property
    def behaviour(self) -> CloudBehaviour:
        """How the API behaves where that is unknown: CloudBehaviour's defaults, overridden by O(cloud_behaviour)."""
        given = {k: v for k, v in (self.params.get("cloud_behaviour") or {}).items() if v is not None}
        return CloudBehaviour(**given)

    @property
    def client(self) -> KsyunClient:
        if self._client is None:
            params = self.params
            if params["max_attempts"] < 1:
                raise ModuleError(
                    "max_attempts must be at least 1 (the first attempt counts), got %d" % params["max_attempts"]
                )
            if params["timeout"] <= 0:
                raise ModuleError("timeout must be a positive number of seconds, got %s" % params["timeout"])
            self._client = KsyunClient(
                access_key_id=params["access_key_id"],
                secret_access_key=params["secret_access_key"],
                region=params["region"],
                endpoint=params["endpoint"],
                scheme=params["scheme"],
                timeout=params["timeout"],
                retry=RetryPolicy(attempts=params["max_attempts"]),
            )
            if self.check_mode:
                _refuse_writes(self._client)
        return self._client

    @property
    def reader(self) -> CloudReader:
        return CloudReader(self.client, self.behaviour)

    @property
    def kce(self) -> ClusterReader:
        """KCE clusters (their VPC-CNI settings and nodes) on the same client."""
        return ClusterReader(self.client)

    # --- the cluster ----------------------------------------------------------------------------

    @property
    def k8s(self) -> Any:
        """kubernetes.core's K8SClient (auth options, server-side dry run in check mode)."""
        if self._k8s is None:
            from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import (  # pylint: disable=import-outside-toplevel
                get_api_client,
            )

            self._k8s = get_api_client(self.ansible)
        return self._k8s

    @property
    def kube(self) -> Any:
        """The kubernetes.dynamic.DynamicClient behind it."""
        return self.k8s.client

    # --- results ----------------------------------------------------------------------------------

    def result(self, changed: bool, before: Any = None, after: Any = None, **extra: Any) -> Dict[str, Any]:
        """The exit dict; before/after become the diff when the task runs with --diff."""
        out = dict(extra, changed=changed)
        if self.diff_mode and (before is not None or after is not None):
            out["diff"] = {"before": before if before is not None else {}, "after": after if after is not None else {}}
        return out

    def run(self, func: Callable[["KceModule"], Dict[str, Any]]) -> None:
        """Exit with func(self), or fail with failure(exc): the one place a module fails."""
        try:
            result = func(self)
        except Exception as exc:  # pylint: disable=broad-except  # mapped below; anything unknown is re-raised
            failed = failure(exc)
            if failed is None:
                raise
            self.ansible.fail_json(**failed)
        else:
            self.ansible.exit_json(**result)


def _refuse_writes(client: KsyunClient) -> None:
    """In check mode a mutating call is a bug: stop it before it is sent."""
    send = client.call

    def call(service: str, action: str, params: Mapping[str, Any], what: str) -> Dict[str, Any]:
        if action in WRITE_ACTIONS:
            raise KsyunError(
                "internal error: %s (%s) was about to be sent in check mode; nothing was changed" % (action, what)
            )
        return send(service, action, params, what)

    client.call = call
