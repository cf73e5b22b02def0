# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the cluster modules share: objects as results show them, their diff, and finding a served kind."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService, diff_objects, hide_fields

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import ModuleError

# Fields that change on every write or only matter to the API server; they would drown the real change in a diff.
HIDDEN_FIELDS = ["metadata.managedFields", "metadata.resourceVersion", "metadata.generation"]


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
    """For messages that list objects: "ns/name, ns/name and 3 more"."""
    labels = ["%s/%s" % (i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in items]
    more = len(labels) - limit
    return ", ".join(labels[:limit]) + (" and %d more" % more if more > 0 else "")


def find_kind(svc: K8sService, kind: str, api_version: str, hint: str) -> Any:
    """The served resource of ``kind`` in ``api_version``, or a failure saying how to make it served."""
    try:
        resource = svc.find_resource(kind, api_version, fail=False)
    except CoreException as exc:
        raise ModuleError("could not look up %s in %s: %s" % (kind, api_version, exc)) from exc
    if resource is None:
        raise ModuleError("the cluster does not serve %s in %s; %s" % (kind, api_version, hint))
    return resource
