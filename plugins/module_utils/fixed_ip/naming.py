# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and labels: ENIs trace back to their cluster and reservation; records are found by pod or IP.

ENI names use "_" between fields because no cluster, namespace, pod or node name can contain it, so
a namespace called "shared" can never be mistaken for a shared ENI:

    kcefip_<cluster>_ex_<namespace>_<pod>      the exclusive ENI of one pod (same ENI across restarts)
    kcefip_<cluster>_sh_<n>_<node>             the n-th shared ENI created for a node
    kcefip_<cluster>_eip_<namespace>_<pod>     the elastic public IP allocated for one pod's fixed IP (a tag)

A field that is too long or has characters other than [a-z0-9-] (node "10.0.0.47" has dots) is cut
and suffixed with 8 hex digits of a hash of the exact value, so names stay unique and deterministic
within MAX_ENI_NAME characters.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import check_cluster_name

PREFIX = "kcefip"
SEP = "_"
MAX_ENI_NAME = 64
KIND_CODE = {Mode.EXCLUSIVE: "ex", Mode.SHARED: "sh"}
_INDEX_WIDTH = 3
_DIGEST = 8

LABEL_PREFIX = "k8s.ksyun.com/"
LABEL_MANAGED_BY = LABEL_PREFIX + "managed-by"
LABEL_POD_NAMESPACE = LABEL_PREFIX + "pod-namespace"
LABEL_POD_NAME = LABEL_PREFIX + "pod-name"
LABEL_IP = LABEL_PREFIX + "pod-ip"
LABEL_MODE = LABEL_PREFIX + "eni-mode"
MANAGED_BY = "ksyun.kce"
_MAX_LABEL_VALUE = 63
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_DIGEST]


def _clean(text: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", text.lower())


def _fit(parts: Tuple[str, ...], budget: int) -> str:
    """Join parts with SEP; if any part is unclean or the result too long, cut it and add a hash of the exact parts."""
    joined = SEP.join(_clean(part) for part in parts)
    if all(_clean(part) == part for part in parts) and len(joined) <= budget:
        return joined
    return joined[: budget - _DIGEST - 1].strip("-" + SEP) + "-" + _digest("\0".join(parts))


def _head(cluster: str, mode: Mode) -> str:
    return SEP.join((PREFIX, check_cluster_name(cluster), KIND_CODE[mode])) + SEP


def exclusive_eni_name(cluster: str, namespace: str, pod_name: str) -> str:
    """The ENI of one exclusive-mode pod; bind finds it by this name after a crash instead of creating another."""
    head = _head(cluster, Mode.EXCLUSIVE)
    return head + _fit((namespace, pod_name), MAX_ENI_NAME - len(head))


def eip_name(cluster: str, namespace: str, pod_name: str) -> str:
    """The name tag of the EIP the collection allocated for one pod's fixed IP (found by it after a crash)."""
    head = SEP.join((PREFIX, check_cluster_name(cluster), "eip")) + SEP
    return head + _fit((namespace, pod_name), MAX_ENI_NAME - len(head))


def node_key(cluster: str, node_name: str) -> str:
    """How a node appears in its shared ENIs' names (independent of the index, so parsing can compare it)."""
    return _fit((node_name,), MAX_ENI_NAME - len(_head(cluster, Mode.SHARED)) - _INDEX_WIDTH - 1)


def shared_eni_name(cluster: str, node_name: str, index: int) -> str:
    """The index-th shared ENI made for a node; the index keeps several ENIs of one node apart."""
    if not 0 <= index < 10**_INDEX_WIDTH:
        raise ValueError("shared ENI index %r out of range 0..%d" % (index, 10**_INDEX_WIDTH - 1))
    return _head(cluster, Mode.SHARED) + "%d" % index + SEP + node_key(cluster, node_name)


@dataclass(frozen=True)
class EniName:
    """A parsed ENI name: exclusive detail is (namespace, pod) as encoded; shared detail is (index, node key)."""

    cluster: str
    mode: Mode
    detail: Tuple[str, ...]


def parse_eni_name(name: str) -> Optional[EniName]:
    """The cluster and kind an ENI name marks, or None for ENIs this collection did not name."""
    parts = (name or "").split(SEP)
    codes = {code: mode for mode, code in KIND_CODE.items()}
    if len(parts) < 4 or parts[0] != PREFIX or parts[2] not in codes or not all(parts[1:]):
        return None
    mode = codes[parts[2]]
    if mode is Mode.SHARED and (len(parts) != 5 or not parts[3].isdigit()):
        return None
    return EniName(cluster=parts[1], mode=mode, detail=tuple(parts[3:]))


def is_shared_eni_of(name: str, cluster: str, node_name: str) -> bool:
    parsed = parse_eni_name(name)
    return (
        parsed is not None
        and parsed.cluster == cluster
        and parsed.mode is Mode.SHARED
        and parsed.detail[1] == node_key(cluster, node_name)
    )


def label_value(text: str) -> str:
    """A valid label value for text (pod names may be longer than 63); lookups must use the same function."""
    if len(text) <= _MAX_LABEL_VALUE and _LABEL_VALUE.fullmatch(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[: _MAX_LABEL_VALUE - _DIGEST - 1].strip("-_.")
    return (cleaned + "-" if cleaned else "") + _digest(text)


def reservation_labels(reservation: Reservation) -> Dict[str, str]:
    """Labels of a PodEni/PodEniIP: find it by pod (a PodEniIP is named after its IP, not its pod) or by IP."""
    labels = {
        LABEL_MANAGED_BY: MANAGED_BY,
        LABEL_POD_NAMESPACE: label_value(reservation.namespace),
        LABEL_POD_NAME: label_value(reservation.pod_name),
        LABEL_MODE: reservation.mode.value,
    }
    if reservation.ip and isinstance(reservation.ip, str):
        labels[LABEL_IP] = label_value(reservation.ip)
    return labels


def pod_selector(namespace: str, pod_name: str) -> str:
    """Label selector of the records of one pod (give it to a list call in the pod's namespace)."""
    return "%s=%s,%s=%s" % (LABEL_POD_NAMESPACE, label_value(namespace), LABEL_POD_NAME, label_value(pod_name))
