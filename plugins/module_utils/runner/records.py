# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ksyun.kce.pod_eni and ksyun.kce.pod_eni_ip: one PodEni or PodEniIP as desired state, the same way for either kind.

Options → the record as stored (the one ReservationStore) → the desired reservation, checked by the
domain → a plan of one WriteReservation or DeleteReservation → the one executor. Check mode sends the
write to the API server as a dry run, so it reports what the server would store; the store patches
only spec, status and the collection's labels, so what others added to the record survives.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import DeleteReservation, WriteReservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import execute_plan, stored_by_key
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import (
    ReservationStore,
    StoredReservation,
    flat_record,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import GROUP_VERSION_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import (
    check_group_version,
    check_id,
    check_pod,
    check_time,
    parse_ipv4,
    parse_retention,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cluster import object_diff, shown

# Option name -> record key.
OPTION_KEYS = (
    ("pod_name", "podName"),
    ("pod_uid", "podUID"),
    ("fixed", "fixed"),
    ("ip", "ip"),
    ("subnet_id", "subnetId"),
    ("zone", "zone"),
    ("eni_id", "eniId"),
    ("mac", "mac"),
    ("retention", "retention"),
    ("phase", "phase"),
    ("node_name", "nodeName"),
    ("instance_id", "instanceId"),
    ("released_at", "releasedAt"),
    ("eip_id", "eipId"),
)
NEW_RECORD_DEFAULTS = {"fixed": True, "retention": "never", "phase": Phase.RESERVED.value}


def record_argument_spec(mode: Mode) -> Dict[str, Any]:
    """Options of pod_eni (exclusive) and pod_eni_ip (shared); the cluster options are added by KceModule."""
    return dict(
        GROUP_VERSION_ARGS,
        **{
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "namespace": {"type": "str", "required": True},
            "pod_name": {"type": "str", "required": mode is Mode.EXCLUSIVE},
            "ip": {"type": "str", "required": mode is Mode.SHARED},
            "pod_uid": {"type": "str"},
            "fixed": {"type": "bool"},
            "subnet_id": {"type": "str"},
            "zone": {"type": "str"},
            "eni_id": {"type": "str"},
            "mac": {"type": "str"},
            "retention": {"type": "str"},
            "phase": {"type": "str", "choices": [phase.value for phase in Phase]},
            "node_name": {"type": "str"},
            "instance_id": {"type": "str"},
            "released_at": {"type": "str"},
            "eip_id": {"type": "str"},
        },
    )


def check_options(mode: Mode, params: Dict[str, Any]) -> None:
    """Refuse malformed input with the option and value, before anything is read or written."""
    check_group_version(params["group"], params["version"])
    check_pod(params["namespace"], params["pod_name"])
    if params["ip"] or mode is Mode.SHARED:
        params["ip"] = parse_ipv4(params["ip"] or "")
    check_id("subnet_id", params["subnet_id"])
    check_id("eni_id", params["eni_id"])
    check_id("eip_id", params["eip_id"])
    parse_retention(params["retention"])
    check_time("released_at", params["released_at"])


def record_name(mode: Mode, params: Dict[str, Any]) -> str:
    """PodEni: the pod's name. PodEniIP: the IP."""
    return params["pod_name"] if mode is Mode.EXCLUSIVE else params["ip"]


def desired_reservation(mode: Mode, params: Dict[str, Any], existing: Optional[StoredReservation]) -> Reservation:
    """The record after this task: the stored one (or new-record defaults) with every given option applied."""
    flat = flat_record(existing.obj) if existing else dict(NEW_RECORD_DEFAULTS)
    flat.update(podNamespace=params["namespace"], mode=mode.value)
    for option, key in OPTION_KEYS:
        value = params.get(option)
        if value is None:
            continue
        if value == "" and key == "releasedAt":
            flat.pop(key, None)
        else:
            flat[key] = value
    label = "%s %s/%s" % (KIND[mode], params["namespace"], record_name(mode, params))
    if existing is None and not flat.get("podName"):
        raise ModuleError("pod_name is required to create %s: a record names the pod that keeps the IP" % label)
    try:
        reservation = Reservation.from_dict(flat)
    except FixedIpError as exc:
        raise ModuleError("%s cannot be written: %s" % (label, exc)) from None
    if mode is Mode.SHARED and reservation.ip != params["ip"]:
        raise ModuleError(
            "PodEniIP %s/%s records IP %r; a PodEniIP is named after its IP, so create a new one for another IP"
            % (params["namespace"], params["ip"], reservation.ip)
        )
    return reservation


def ensure_record(module: KceModule, mode: Mode) -> Dict[str, Any]:
    params = module.params
    check_options(mode, params)
    namespace, name = params["namespace"], record_name(mode, params)
    store = ReservationStore(module.kube, params["group"], params["version"])
    existing = store.get(mode, namespace, name)
    if params["state"] == "absent":
        reservation = None
        plan = Plan((DeleteReservation(namespace, name, mode),) if existing else ())
    else:
        reservation = desired_reservation(mode, params, existing)
        plan = Plan((WriteReservation(reservation),), reservation)
    result = execute_plan(
        plan,
        None,
        store,
        stored_by_key([existing] if existing else []),
        check_mode=module.check_mode,
        dry_run_records=True,
    )
    if not result.ok:
        raise result.error
    final = next(iter(result.records.values()), None)
    unchanged, diff = object_diff(existing.obj if existing else None, final.obj if final else None)
    return module.result(
        not unchanged,
        diff["before"],
        diff["after"],
        name=name,
        namespace=namespace,
        kind=KIND[mode],
        result=shown(final.obj if final else None),
        reservation=reservation.to_dict() if reservation else {},
    )


def run_record_module(mode: Mode) -> None:
    KceModule(record_argument_spec(mode), cluster=True).run(lambda module: ensure_record(module, mode))
