"""The topology's ``kce:`` section -> the emulator's KCE state (clusters and their add-on instances).

A cluster names its VPC and its nodes (KEC instances of the topology); everything a node shows (ids, IPs, zones,
subnets, types, security groups) is read from the VPC/KEC state when answering, never copied here.
"""

import ipaddress
import uuid

from . import kce_catalogue, kce_vpc_cni, kce_words
from .errors import ApiError

_TIME = "2026-01-01 00:00:00"
# Derived ids (node pools, KCE node ids, load balancers) are name-based UUIDs of the cluster id: stable across runs.
_NS = uuid.UUID("5f2c7a10-0000-4a6e-9c1b-00000000c0de")


def derived_id(*parts):
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _network(item, key, cid, default, cls):
    try:
        return ipaddress.ip_network(str(item.get(key, default)))
    except ValueError:
        raise cls("kce cluster %s: %s %r is not a CIDR" % (cid, key, item.get(key))) from None


def _choice(item, key, default, allowed, cid, cls):
    value = item.get(key, default)
    if value not in allowed:
        raise cls("kce cluster %s: %s %r is not one of %s" % (cid, key, value, ", ".join(map(str, allowed))))
    return value


def _instances(item, cid, vpc_id, data, claimed, cls):
    in_vpc = [i for i in data["instances"] if data["subnets"][data["instances"][i]["subnet_id"]]["vpc_id"] == vpc_id]
    named = item.get("instances")
    if named is None:
        return [i for i in in_vpc if i not in claimed]
    out = []
    for raw in named:
        iid = str(raw)
        if iid not in data["instances"]:
            raise cls("kce cluster %s names unknown instance %s" % (cid, iid))
        if iid not in in_vpc:
            raise cls("kce cluster %s: instance %s is not in the cluster's VPC %s" % (cid, iid, vpc_id))
        out.append(iid)
    return out


def _cluster(item, data, claimed, cls):
    try:
        cid = str(uuid.UUID(str(item.get("id"))))
    except ValueError:
        raise cls("kce cluster id %r is not a UUID (KCE cluster ids are UUIDs)" % item.get("id")) from None
    vpc_id = str(item.get("vpc_id") or next(iter(data["vpcs"])))
    if vpc_id not in data["vpcs"]:
        raise cls("kce cluster %s names unknown vpc %s" % (cid, vpc_id))
    vpc_net = ipaddress.ip_network(data["vpcs"][vpc_id]["cidr"])
    pod = _network(item, "pod_cidr", cid, "172.16.0.0/16", cls)
    service = _network(item, "service_cidr", cid, "10.254.0.0/16", cls)
    for name, net in (("pod_cidr", pod), ("service_cidr", service)):
        if net.overlaps(vpc_net):
            raise cls("kce cluster %s: %s %s overlaps the VPC CIDR %s" % (cid, name, net, vpc_net))
    if pod.overlaps(service):
        raise cls("kce cluster %s: pod_cidr %s overlaps service_cidr %s" % (cid, pod, service))
    slb_ip = str(item.get("private_slb_ip") or "")
    if slb_ip and ipaddress.ip_address(slb_ip) not in vpc_net:
        raise cls("kce cluster %s: private_slb_ip %s is outside the VPC CIDR %s" % (cid, slb_ip, vpc_net))
    status = _choice(item, "status", "running", kce_words.CLUSTER_STATUSES, cid, cls)
    cluster = {
        "id": cid,
        "name": str(item.get("name", cid)),
        "description": str(item.get("description", "")),
        "manage_mode": _choice(item, "manage_mode", "ManagedCluster", kce_words.MANAGE_MODES, cid, cls),
        "k8s_version": str(item.get("k8s_version", "v1.37.2")),
        "network_type": _choice(item, "network_type", "Flannel", kce_words.NETWORK_TYPES, cid, cls),
        "pod_cidr": str(pod),
        "service_cidr": str(service),
        "vpc_id": vpc_id,
        "status": status,
        "max_pod_per_node": int(_choice(item, "max_pod_per_node", 128, kce_words.MAX_PODS_PER_NODE, cid, cls)),
        "expose": bool(item.get("expose", True)),
        "private_slb_ip": slb_ip,
        "instance_ids": _instances(item, cid, vpc_id, data, claimed, cls),
        "created": str(item.get("created", _TIME)),
        "updated": str(item.get("created", _TIME)),
        "vpc_cni": dict(kce_vpc_cni.DISABLED),
        "phase": str(item.get("phase") or kce_words.PHASE_OF_STATUS[status]),
        "message": "",
        "settle_left": 0,  # describes still showing the updating phase (call-driven settling)
        "generation": 0,  # bumped by every VpcCNI change; the platform applies the latest
    }
    cni = item.get("vpc_cni") or {}
    try:
        cluster["vpc_cni"] = kce_vpc_cni.check(
            data,
            cluster,
            bool(cni.get("enable", False)),
            cni.get("daemon_mode"),
            [str(s) for s in cni.get("subnet_ids") or []],
            cni.get("security_group"),
            prefix="vpc_cni.",
        )
    except ApiError as exc:
        raise cls("kce cluster %s: %s" % (cid, exc.message)) from None
    return cluster


def _addons(cluster, item, cls):
    names = item.get("addons")
    if names is None:
        names = [a.name for a in kce_catalogue.CATALOGUE if a.default_install]
    out = {}
    for name in names:
        addon = next((a for a in kce_catalogue.CATALOGUE if a.name == name and a.name != kce_catalogue.VPC_CNI), None)
        if addon is None:
            raise cls(
                "kce cluster %s: unknown add-on %r (catalogue: sandbox/ksyun_emulator/kce_catalogue.py)"
                % (cluster["id"], name)
            )
        iid = derived_id(cluster["id"], "addon", name)
        out[iid] = {
            "id": iid,
            "cluster_id": cluster["id"],
            "addon_id": addon.addon_id,
            "name": addon.name,
            "type": addon.type,
            "version": addon.version,
            "config": "",
            "phase": kce_words.ADDON_RUNNING,
            "to_delete": False,
            "settle_left": 0,
            "created": cluster["created"],
            "updated": cluster["created"],
        }
    return out


def kce_state(topo, data, cls=ValueError):
    """``{"clusters": {id: cluster}, "addons": {instance id: add-on instance}}``; ``data`` is the VPC/KEC state."""
    section = topo.get("kce") or {}
    clusters, addons = {}, {}
    items = section.get("clusters") or []
    claimed = {str(i) for item in items for i in item.get("instances") or []}
    owner = {}
    for item in items:
        cluster = _cluster(item, data, claimed, cls)
        if cluster["id"] in clusters:
            raise cls("kce cluster %s is listed twice" % cluster["id"])
        for iid in cluster["instance_ids"]:
            if iid in owner:
                raise cls("instance %s is a node of both kce clusters %s and %s" % (iid, owner[iid], cluster["id"]))
            owner[iid] = cluster["id"]
        clusters[cluster["id"]] = cluster
        addons.update(_addons(cluster, item, cls))
    return {"clusters": clusters, "addons": addons}
