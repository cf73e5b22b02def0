# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the cluster-side modules share: kubernetes.core's module and auth options, the group/version options, errors.

Modules are built on ``AnsibleK8SModule`` and talk to the cluster through kubernetes.core's ``K8sService``,
so check mode is a server-side dry run and authentication works exactly as in ``kubernetes.core.k8s``.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService, diff_objects, hide_fields
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION

GROUP_VERSION_ARGSPEC = {
    "group": {"type": "str", "default": DEFAULT_GROUP},
    "version": {"type": "str", "default": DEFAULT_VERSION},
}

# Fields that change on every write or only matter to the API server; they would drown the real change in a diff.
HIDDEN_FIELDS = ["metadata.managedFields", "metadata.resourceVersion", "metadata.generation"]

_DNS_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_GROUP = re.compile(r"%s(\.%s)+" % (_DNS_LABEL, _DNS_LABEL))
_VERSION = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


class K8sFailure(Exception):
    """A problem the user can fix; the message names the value and what to do. Raised before any write when knowable."""

    def __init__(self, msg: str, **details: Any):
        super().__init__(msg)
        self.details = details


def k8s_module(argument_spec: Dict[str, Any], **kwargs) -> AnsibleK8SModule:
    """AnsibleK8SModule with kubernetes.core's auth options added to ``argument_spec``."""
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(argument_spec)
    kwargs.setdefault("supports_check_mode", True)
    return AnsibleK8SModule(argument_spec=spec, **kwargs)


def run_k8s_module(module: AnsibleK8SModule, work: Callable[[K8sService], Dict[str, Any]],
                   check: Optional[Callable[[], None]] = None) -> None:
    """Check the input (before any client exists), run work(service) and exit with its result (diff only in
    diff mode), or fail naming what was wrong."""
    params = module.params
    try:
        check_group_version(params["group"], params["version"])
        if check:
            check()
        result = work(K8sService(get_api_client(module), module))
    except K8sFailure as exc:
        module.fail_json(msg=str(exc), **exc.details)
    except CoreException as exc:
        module.fail_from_exception(exc)
    diff = result.pop("diff")
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = diff
    module.exit_json(**result)


def check_group_version(group: str, version: str) -> str:
    """``group/version`` once both are valid Kubernetes names; a CRD's group must contain a dot."""
    if not isinstance(group, str) or len(group) > 253 or not _GROUP.fullmatch(group):
        raise K8sFailure("group %r is not a valid API group: use a lower-case DNS name with at least one dot, such as %s"
                         % (group, DEFAULT_GROUP))
    if not isinstance(version, str) or len(version) > 63 or not _VERSION.fullmatch(version):
        raise K8sFailure("version %r is not a valid API version: use a lower-case name starting with a letter, such as %s or v1beta1"
                         % (version, DEFAULT_VERSION))
    return "%s/%s" % (group, version)


def http_status(exc: BaseException) -> Optional[int]:
    """The HTTP status behind a kubernetes.core CoreException or a kubernetes client error, if any."""
    seen = exc
    while seen is not None:
        status = getattr(seen, "status", None)
        if isinstance(status, int):
            return status
        seen = seen.__cause__
    return None


def find_kind(svc, kind: str, api_version: str, hint: str):
    """The served resource of ``kind`` in ``api_version``, or a failure saying how to make it served."""
    try:
        resource = svc.find_resource(kind, api_version, fail=False)
    except CoreException as exc:
        raise K8sFailure("could not look up %s in %s: %s" % (kind, api_version, exc)) from exc
    if resource is None:
        raise K8sFailure("the cluster does not serve %s in %s; %s" % (kind, api_version, hint))
    return resource


def object_diff(before: Optional[Dict], after: Optional[Dict]) -> Tuple[bool, Dict[str, Any]]:
    """(unchanged, diff) of two objects without server bookkeeping; a missing object is ``{}``."""
    before = hide_fields(before or {}, HIDDEN_FIELDS)
    after = hide_fields(after or {}, HIDDEN_FIELDS)
    if not before or not after:
        return before == after, {"before": before, "after": after}
    match, diff = diff_objects(before, after)
    return match, diff or {"before": {}, "after": {}}


def shown(obj: Optional[Dict]) -> Dict[str, Any]:
    """An object as results return it: without managedFields."""
    return hide_fields(obj or {}, ["metadata.managedFields"])


def names(items: List[Dict], limit: int = 5) -> str:
    """"ns/name, ns/name and 3 more" for messages that list objects."""
    labels = ["%s/%s" % (i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items]
    more = len(labels) - limit
    return ", ".join(labels[:limit]) + (" and %d more" % more if more > 0 else "")
