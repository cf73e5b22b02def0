# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who owns a cluster object, and which DaemonSets run multus: read from the objects as the API returns them (dicts).

An object is the collection's when it carries the collection's label (``app.kubernetes.io/part-of: ksyun.kce``, on
every object the roles build, also when Argo CD applied them from a rendered folder) or when the collection's field
manager (``ksyun.kce`` by default) owns some of its fields (server-side apply by the roles, or a take-over).
Anything else was created by someone else - the platform, kubectl, a Helm chart - and is named by its field managers.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

PART_OF = "app.kubernetes.io/part-of"
OURS = "ksyun.kce"
MULTUS = "multus"


def _meta(obj: Optional[Mapping[str, Any]]) -> Mapping[str, Any]:
    return (obj or {}).get("metadata") or {}


def managers(obj: Optional[Mapping[str, Any]]) -> List[str]:
    """The field managers of the object itself (metadata.managedFields), each once, in the order the API lists them; the
    managers of a subresource only (kube-apiserver writing a CRD's status, a controller a DaemonSet's) are not owners.
    """
    out: List[str] = []
    for entry in _meta(obj).get("managedFields") or []:
        if (entry or {}).get("subresource"):
            continue
        name = (entry or {}).get("manager") or ""
        if name and name not in out:
            out.append(name)
    return out


def is_ours(obj: Optional[Mapping[str, Any]], field_manager: str = OURS) -> bool:
    """Whether the collection made the object: its part-of label, or its field manager among the object's."""
    labels = _meta(obj).get("labels") or {}
    return labels.get(PART_OF) == OURS or field_manager in managers(obj)


def ref(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` (``Kind name`` for a cluster object), as messages name an object."""
    meta = _meta(obj)
    where = "%s/%s" % (meta["namespace"], meta.get("name", "")) if meta.get("namespace") else meta.get("name", "")
    return "%s %s" % (obj.get("kind") or "object", where)


def managers_text(names: Sequence[str]) -> str:
    """ "field managers kubectl-create, helm" or "no field manager recorded", for messages."""
    if not names:
        return "no field manager recorded"
    return "field manager%s %s" % ("s" if len(names) > 1 else "", ", ".join(names))


def owner_text(obj: Mapping[str, Any]) -> str:
    """Who manages the object, for messages (managers_text of its field managers)."""
    return managers_text(managers(obj))


def _images(template_spec: Mapping[str, Any]) -> List[str]:
    containers = list(template_spec.get("initContainers") or []) + list(template_spec.get("containers") or [])
    return [str(c.get("image") or "") for c in containers]


def image_name(image: str) -> str:
    """The last path part of an image's repository: multus-cni of ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def runs_multus(daemonset: Mapping[str, Any]) -> bool:
    """Whether the DaemonSet runs multus: an image of its pods (init containers too) is a multus image, such as
    multus-cni of upstream or of a mirror."""
    spec = (((daemonset.get("spec") or {}).get("template") or {}).get("spec")) or {}
    return any(MULTUS in image_name(image).lower() for image in _images(spec))


def daemonset_view(daemonset: Mapping[str, Any], field_manager: str = OURS) -> Dict[str, Any]:
    """namespace, name, images, ready/desired pods, whether ours and its managers, for reports."""
    meta = _meta(daemonset)
    status = daemonset.get("status") or {}
    spec = (((daemonset.get("spec") or {}).get("template") or {}).get("spec")) or {}
    return {
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "images": _images(spec),
        "ready": int(status.get("numberReady") or 0),
        "desired": int(status.get("desiredNumberScheduled") or 0),
        "ours": is_ours(daemonset, field_manager),
        "managers": managers(daemonset),
    }


def multus_daemonsets(daemonsets: Sequence[Mapping[str, Any]], field_manager: str = OURS) -> List[Dict[str, Any]]:
    """The DaemonSets (of any namespace) that run multus, as daemonset_view shows them, sorted by namespace/name."""
    found = [daemonset_view(ds, field_manager) for ds in daemonsets or [] if runs_multus(ds)]
    return sorted(found, key=lambda view: (view["namespace"], view["name"]))


def daemonset_text(view: Mapping[str, Any]) -> str:
    """ "kube-system/kube-multus-ds (ready 3/3, field manager kubectl-create)" for reports."""
    who = "installed by ksyun.kce" if view["ours"] else managers_text(view["managers"])
    return "%s/%s (ready %d/%d, %s)" % (view["namespace"], view["name"], view["ready"], view["desired"], who)
