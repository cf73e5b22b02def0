# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster objects as the planners' snapshots: pods, and nodes joined with their KEC instances.

The cloud side of every snapshot comes from the cloud read model (ksyun/read_model.py), with
batched calls only (never one call per ENI or per node).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import NodeSnapshot, PodSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader, Instance

INSTANCE_ID_LABEL = "k8s.ksyun.com/instance-id"


class SnapshotError(FixedIpError):
    """The cloud or the cluster does not show something a plan needs (a node's instance, its type)."""


@dataclass(frozen=True)
class NodeInfo:
    """A node as the planners see it, and its instance (whose ENIs' subnets the cloud snapshot must include)."""

    snapshot: NodeSnapshot
    instance: Instance


def pod_snapshot(pod: Any) -> PodSnapshot:
    """A PodSnapshot of a pod object (dict or dynamic ResourceInstance); ksyun/* resources are summed over containers."""
    data = as_dict(pod)
    meta, spec, status = data.get("metadata") or {}, data.get("spec") or {}, data.get("status") or {}
    owners = meta.get("ownerReferences") or []
    owner = next((ref for ref in owners if ref.get("controller")), None)
    requests: Dict[str, Any] = {}
    for container in spec.get("containers") or []:
        resources = container.get("resources") or {}
        wanted = dict(resources.get("limits") or {})
        wanted.update(resources.get("requests") or {})
        for key, value in wanted.items():
            if not key.startswith("ksyun/"):
                continue
            try:
                requests[key] = int(str(requests.get(key, 0))) + int(str(value))
            except ValueError:
                requests[key] = value
    return PodSnapshot(
        namespace=meta.get("namespace") or "",
        name=meta.get("name") or "",
        uid=meta.get("uid") or "",
        node_name=spec.get("nodeName") or "",
        owner_kind=owner.get("kind") if owner else None,
        owner_name=owner.get("name", "") if owner else "",
        annotations=dict(meta.get("annotations") or {}),
        resource_requests=requests,
        deleting=bool(meta.get("deletionTimestamp")),
        pod_ip=status.get("podIP") or "",
    )


def instance_id_of(node: Any) -> str:
    """The KEC instance of a Node: its providerID (ksyun://<id>, last path part) or the k8s.ksyun.com/instance-id label."""
    data = as_dict(node)
    provider = ((data.get("spec") or {}).get("providerID") or "").strip()
    if provider:
        return provider.rstrip("/").rsplit("/", 1)[-1]
    return ((data.get("metadata") or {}).get("labels") or {}).get(INSTANCE_ID_LABEL, "")


def read_nodes(
    reader: CloudReader, nodes: Iterable[Any], project_ids: Optional[Sequence[Any]] = None
) -> Dict[str, NodeInfo]:
    """NodeInfo per node name: one DescribeInstances for all nodes, one DescribeInstanceTypeConfigs for their types."""
    wanted = {}
    for node in nodes:
        data = as_dict(node)
        name = (data.get("metadata") or {}).get("name", "")
        instance_id = instance_id_of(data)
        if not instance_id:
            raise SnapshotError(
                "node %s has no KEC instance id: set spec.providerID to ksyun://<instance id> or the label %s"
                % (name, INSTANCE_ID_LABEL)
            )
        wanted[name] = instance_id
    if not wanted:
        return {}
    instances = {
        item.instance_id: item for item in reader.instances(sorted(set(wanted.values())), project_ids=project_ids)
    }
    out = {}
    for name, instance_id in sorted(wanted.items()):
        instance = instances.get(instance_id)
        if instance is None:
            raise SnapshotError(
                "node %s names instance %s, which DescribeInstances does not show%s; check the node's providerID, or "
                "give the instance's project id"
                % (name, instance_id, " in projects %s" % list(project_ids) if project_ids else " in project 0")
            )
        if not instance.has_quotas:
            raise SnapshotError(
                "instance %s of node %s has type %r, which DescribeInstanceTypeConfigs does not list, so its ENI "
                "limits are unknown" % (instance_id, name, instance.instance_type)
            )
        out[name] = NodeInfo(instance.node(name), instance)
    return out
