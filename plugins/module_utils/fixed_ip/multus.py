# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the multus role applies, leaves alone or refuses, from the objects it built and what the cluster has.

``install`` is the role's ``multus_install``:

- ``auto`` (default): a multus the collection did not install (a DaemonSet of any namespace running a multus image,
  such as the platform's) is left alone with everything that goes with it (CRD, RBAC, ConfigMap, DaemonSet); a
  ``kube-system/vpc-cni`` NetworkAttachmentDefinition someone else created is left alone too. The rest is applied.
- ``true``: every object is applied (install, or bring the collection's own install up to date).
- ``false``: nothing is applied.

Whatever is to be applied over an object of the same name that the collection did not create (ownership.is_ours) is
refused, naming that object and its field managers, unless ``take_over`` is true: server-side apply with force would
silently take its fields from its owner.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.ownership import (
    OURS,
    daemonset_text,
    is_ours,
    multus_daemonsets,
    owner_text,
    ref,
)

AUTO, INSTALL, SKIP = "auto", "true", "false"
NETWORK_KIND = "NetworkAttachmentDefinition"
_WORDS = {
    AUTO: AUTO,
    "true": INSTALL,
    "yes": INSTALL,
    "on": INSTALL,
    "1": INSTALL,
    "false": SKIP,
    "no": SKIP,
    "off": SKIP,
    "0": SKIP,
}


def install_choice(value: Any, name: str = "multus_install") -> str:
    """auto, true or false from the variable's value (a YAML bool or its words); anything else is refused by name."""
    text = str(value).strip().lower() if value is not None else ""
    if text not in _WORDS:
        raise InvalidSettings(
            "%s is %r; use auto (leave an existing multus alone, install otherwise), true (install) or false (skip)"
            % (name, value)
        )
    return _WORDS[text]


def _is_network(obj: Mapping[str, Any]) -> bool:
    return obj.get("kind") == NETWORK_KIND


def plan_multus(
    objects: Sequence[Mapping[str, Any]],
    existing: Sequence[Optional[Mapping[str, Any]]],
    daemonsets: Sequence[Mapping[str, Any]] = (),
    install: Any = AUTO,
    take_over: bool = False,
    field_manager: str = OURS,
) -> Dict[str, Any]:
    """{install, apply (the objects to apply, in order), to_apply (their "Kind namespace/name"), left_alone [{object,
    why}], refused [messages], multus [the DaemonSets running multus], message (the refusal, empty when none)}.

    existing[i] is objects[i] as the cluster has it (None: absent, or its kind is not served); daemonsets: every
    DaemonSet of the cluster, read for install=auto only.
    """
    choice = install_choice(install)
    if len(existing) != len(objects):
        raise InvalidSettings("%d objects but %d existing ones: one lookup per object" % (len(objects), len(existing)))
    found = multus_daemonsets(daemonsets, field_manager) if choice == AUTO else []
    foreign = [view for view in found if not view["ours"]]
    apply: List[Mapping[str, Any]] = []
    left_alone: List[Dict[str, str]] = []
    refused: List[str] = []
    for obj, current in zip(objects, existing):
        if choice == SKIP:
            left_alone.append({"object": ref(obj), "why": "multus_install is false"})
            continue
        if choice == AUTO and _is_network(obj) and current and not is_ours(current, field_manager):
            left_alone.append(
                {"object": ref(obj), "why": "it exists, created by someone else (%s)" % owner_text(current)}
            )
            continue
        if choice == AUTO and not _is_network(obj) and foreign:
            left_alone.append(
                {"object": ref(obj), "why": "multus runs already: %s" % "; ".join(daemonset_text(v) for v in foreign)}
            )
            continue
        if current and not is_ours(current, field_manager) and not take_over:
            refused.append(
                "%s exists and was not created by ksyun.kce (%s, no label app.kubernetes.io/part-of=ksyun.kce)"
                % (ref(current), owner_text(current))
            )
            continue
        apply.append(obj)
    return {
        "install": choice,
        "apply": apply,
        "to_apply": [ref(obj) for obj in apply],
        "left_alone": left_alone,
        "refused": refused,
        "multus": found,
        "message": refusal_message(refused) if refused else "",
    }


def refusal_message(refused: Sequence[str]) -> str:
    """The role's failure when objects are refused: each object, then what to do."""
    return (
        "the multus role would overwrite objects it did not create: %s. Nothing was applied. Leave them to their owner "
        "(multus_install: false, or auto where a multus DaemonSet runs), or set multus_take_over: true to take them "
        "over (server-side apply takes their fields from their field managers)" % "; ".join(refused)
    )
