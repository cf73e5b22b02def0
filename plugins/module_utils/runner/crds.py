# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ksyun.kce.fixed_ip_crds: install or remove the PodEni/PodEniIP/VpcIP CRDs of one group/version.

CRDs are cluster objects, not reservations, so this module stays on kubernetes.core's service
(server-side dry run in check mode, its waiter for the Established condition), as kubevirt.core does.

A CRD that ksyun.kce did not install (no part-of label) may belong to KCE's own VPC-CNI, so it is
neither changed nor deleted without force; removing CRDs that still hold records is refused without force,
because the API server deletes every record with its CRD.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.service import K8sService

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import FINALIZER, MERGE_PATCH
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import GROUP_VERSION_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_group_version
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cluster import find_kind, names, object_diff, shown

CRD_API_VERSION = "apiextensions.k8s.io/v1"
PART_OF = "app.kubernetes.io/part-of"
OURS = "ksyun.kce"
ESTABLISHED = {"type": "Established", "status": True}


def _is_ours(obj: Dict[str, Any]) -> bool:
    return ((obj.get("metadata") or {}).get("labels") or {}).get(PART_OF) == OURS


def _established(obj: Dict[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _records(svc, group: str, version: str, kind: str) -> List[Dict[str, Any]]:
    """Every object of kind in all namespaces (records of any origin count: all die with the CRD)."""
    resource = svc.find_resource(kind, "%s/%s" % (group, version), fail=False)
    if resource is None:
        return []
    return svc.client.get(resource).to_dict().get("items") or []


def _refuse_foreign(existing: Dict[str, Any], action: str) -> None:
    name = existing["metadata"]["name"]
    raise ModuleError(
        "CRD %s exists but was not installed by ksyun.kce (it has no label %s=%s), so it may belong to KCE's own VPC-CNI; "
        "leave it alone and set group to another API group, or set force=true to %s it" % (name, PART_OF, OURS, action)
    )


def _wait(svc, resource, definition: Dict[str, Any], state: str) -> Dict[str, Any]:
    """Wait until the CRD is Established (present) or gone (absent), via kubernetes.core's waiter."""
    params = svc.module.params
    saved = {key: params.get(key) for key in ("state", "wait_condition")}
    params.update(state=state, wait_condition=ESTABLISHED if state == "present" else None)
    try:
        success, instance, duration = svc.wait(resource, definition)
    finally:
        params.update(saved)
    if not success:
        goal = "Established" if state == "present" else "deleted"
        raise ModuleError(
            "CRD %s was not %s within wait_timeout=%ss; check the API server (kubectl describe crd %s) or raise wait_timeout"
            % (definition["metadata"]["name"], goal, duration, definition["metadata"]["name"])
        )
    return instance or {}


def _drop_finalizer(svc: K8sService, group: str, version: str, kind: str, item: Dict[str, Any]) -> None:
    meta = item["metadata"]
    finalizers = [f for f in meta.get("finalizers") or [] if f != FINALIZER]
    if finalizers == list(meta.get("finalizers") or []):
        return
    resource = svc.find_resource(kind, "%s/%s" % (group, version), fail=True)
    body = {"metadata": {"resourceVersion": meta["resourceVersion"], "finalizers": finalizers or None}}
    svc.client.client.patch(resource, body, name=meta["name"], namespace=meta["namespace"], content_type=MERGE_PATCH)


def ensure_crds(svc: K8sService, group: str, version: str, state: str, force: bool, wait: bool) -> Dict[str, Any]:
    """Make the CRDs of both kinds present or absent; returns changed, crds, diff (before/after by CRD name)."""
    check_mode = svc.module.check_mode
    resource = find_kind(
        svc,
        "CustomResourceDefinition",
        CRD_API_VERSION,
        "CustomResourceDefinitions need apiextensions.k8s.io/v1 (Kubernetes 1.16 or later)",
    )
    wanted = [crd(kind, group=group, version=version) for kind in sorted(KINDS)]
    found = [svc.retrieve(resource, definition) for definition in wanted]
    for existing in found:
        if existing and not force and not _is_ours(existing.to_dict()):
            _refuse_foreign(existing.to_dict(), "update" if state == "present" else "delete")
    held = []
    if state == "absent":
        held = [
            (kind, item)
            for kind, existing in zip(sorted(KINDS), found)
            if existing
            for item in _records(svc, group, version, kind)
        ]
    if held and not force:
        held = [item for _kind, item in held]
        if held:
            raise ModuleError(
                "%d PodEni/PodEniIP/VpcIP records of %s/%s still exist (%s); deleting the CRDs deletes them and the fixed IPs they "
                "keep would be forgotten: release or reclaim them first, or set force=true"
                % (len(held), group, version, names(held))
            )
    if held and force and not check_mode:
        # Forced: the records go with their CRDs and their IPs are forgotten, so their finalizers may not hold the CRDs.
        for kind, item in held:
            _drop_finalizer(svc, group, version, kind, item)
    results, before, after = [], {}, {}
    for definition, existing in zip(wanted, found):
        name = definition["metadata"]["name"]
        try:
            if state == "absent":
                if existing:
                    svc.delete(resource, definition, existing)
                    if wait and not check_mode:
                        _wait(svc, resource, definition, "absent")
                final = None
            elif not existing:
                instance, _warnings = svc.create(resource, definition)
                final = _wait(svc, resource, definition, "present") if wait and not check_mode else instance
            else:
                instance, _warnings = svc.update(resource, definition, existing)
                final = (
                    _wait(svc, resource, definition, "present")
                    if wait and not check_mode and not _established(instance)
                    else instance
                )
        except CoreException as exc:
            raise ModuleError(
                "could not %s CRD %s: %s" % ("delete" if state == "absent" else "apply", name, exc)
            ) from exc
        unchanged, diff = object_diff(_comparable(existing.to_dict() if existing else None), _comparable(final))
        if not unchanged:
            before[name], after[name] = diff["before"], diff["after"]
        results.append(
            {
                "name": name,
                "kind": definition["spec"]["names"]["kind"],
                "changed": not unchanged,
                "established": bool(final) and _established(final),
                "result": shown(final),
            }
        )
    return {"changed": any(r["changed"] for r in results), "crds": results, "diff": {"before": before, "after": after}}


def _comparable(obj):
    """A CRD without its status: conditions move on their own and are not what this module manages."""
    if not obj:
        return None
    return {key: value for key, value in obj.items() if key != "status"}


def run_crds_module() -> None:
    argument_spec = dict(
        GROUP_VERSION_ARGS,
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        force={"type": "bool", "default": False},
        wait={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 60},
    )
    module = KceModule(argument_spec, cluster=True)
    params = module.params
    # kubernetes.core's service reads these: whole-list merge patches, and a quick poll while waiting.
    params.update(merge_type=["merge"], wait_sleep=1)

    def work(module: KceModule) -> Dict[str, Any]:
        check_group_version(params["group"], params["version"])
        if params["wait_timeout"] < 1:
            raise ModuleError("wait_timeout must be at least 1 second, got %d" % params["wait_timeout"])
        result = ensure_crds(
            K8sService(module.k8s, module.ansible),
            params["group"],
            params["version"],
            params["state"],
            params["force"],
            params["wait"],
        )
        diff = result.pop("diff")
        return module.result(result.pop("changed"), diff["before"], diff["after"], **result)

    module.run(work)
