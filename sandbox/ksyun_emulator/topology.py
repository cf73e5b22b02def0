"""Loading a topology (YAML file or dict) and turning it into the emulator's initial state."""

import ipaddress
import uuid
from pathlib import Path

import yaml

from .kce_topology import kce_state


class TopologyError(ValueError):
    """A topology that cannot describe a real VPC; the message names the offending item."""


def load(source):
    """``source`` is a path or an already-parsed dict."""
    if isinstance(source, dict):
        return source
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TopologyError("cannot read topology %s: %s" % (path, exc)) from None
    if not isinstance(data, dict):
        raise TopologyError("topology %s must be a YAML mapping" % path)
    return data


def _uuid(value, what):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise TopologyError("%s id %r is not a UUID (KSYUN ids are standard UUIDs)" % (what, value)) from None


def _require(item, key, what):
    if item.get(key) in (None, ""):
        raise TopologyError("%s %r is missing %r" % (what, item.get("id") or item.get("name") or item, key))
    return item[key]


def _vpcs(topo):
    vpcs = {}
    for item in topo.get("vpcs") or []:
        vid = _uuid(_require(item, "id", "vpc"), "vpc")
        vpcs[vid] = {
            "id": vid,
            "name": item.get("name", vid),
            "cidr": str(ipaddress.ip_network(_require(item, "cidr", "vpc"))),
        }
    if not vpcs:
        raise TopologyError("topology needs at least one entry under 'vpcs'")
    return vpcs


def _subnets(topo, vpcs):
    subnets = {}
    for item in topo.get("subnets") or []:
        sid = _uuid(_require(item, "id", "subnet"), "subnet")
        vpc_id = _uuid(item.get("vpc_id") or next(iter(vpcs)), "vpc")
        if vpc_id not in vpcs:
            raise TopologyError("subnet %s names unknown vpc %s" % (sid, vpc_id))
        net = ipaddress.ip_network(_require(item, "cidr", "subnet"))
        if not net.subnet_of(ipaddress.ip_network(vpcs[vpc_id]["cidr"])):
            raise TopologyError("subnet %s CIDR %s is outside its VPC CIDR %s" % (sid, net, vpcs[vpc_id]["cidr"]))
        reserved = [str(ipaddress.ip_address(ip)) for ip in item.get("reserved") or []]
        for ip in reserved:
            if ipaddress.ip_address(ip) not in net:
                raise TopologyError("subnet %s reserves %s which is outside %s" % (sid, ip, net))
        subnets[sid] = {
            "id": sid,
            "name": item.get("name", sid),
            "vpc_id": vpc_id,
            "cidr": str(net),
            "zone": _require(item, "zone", "subnet"),
            "type": item.get("type", "Normal"),
            "reserved": reserved,
            "dns1": item.get("dns1", "198.18.254.40"),
            "dns2": item.get("dns2", "198.18.254.41"),
        }
    return subnets


def _security_groups(topo, vpcs):
    groups = {}
    for item in topo.get("security_groups") or []:
        gid = _uuid(_require(item, "id", "security group"), "security group")
        vpc_id = _uuid(item.get("vpc_id") or next(iter(vpcs)), "vpc")
        groups[gid] = {
            "id": gid,
            "name": item.get("name", gid),
            "vpc_id": vpc_id,
            "description": item.get("description", ""),
            "type": item.get("type", "other"),
            "rules": item.get("rules") or [],
        }
    return groups


def _instance_types(topo):
    types = {}
    for item in topo.get("instance_types") or []:
        name = _require(item, "type", "instance type")
        types[name] = {
            "type": name,
            "family": item.get("family", name.split(".")[0]),
            "family_name": item.get("family_name", name.split(".")[0]),
            "cpu": int(item.get("cpu", 2)),
            "memory": int(item.get("memory", 4)),
            "eni_quota": int(_require(item, "eni_quota", "instance type")),
            "ip_quota": int(_require(item, "ip_quota", "instance type")),
            "zones": list(item.get("zones") or []),
        }
    return types


def _instances(topo, subnets, groups, types):
    instances, enis = {}, {}
    for item in topo.get("instances") or []:
        iid = _uuid(_require(item, "id", "instance"), "instance")
        subnet_id = _uuid(_require(item, "subnet", "instance"), "subnet")
        if subnet_id not in subnets:
            raise TopologyError("instance %s names unknown subnet %s" % (iid, subnet_id))
        subnet = subnets[subnet_id]
        zone = item.get("zone", subnet["zone"])
        if zone != subnet["zone"]:
            raise TopologyError(
                "instance %s is in zone %s but its subnet %s is in %s" % (iid, zone, subnet_id, subnet["zone"])
            )
        itype = _require(item, "type", "instance")
        if itype not in types:
            raise TopologyError("instance %s has unknown instance type %s" % (iid, itype))
        ip = str(ipaddress.ip_address(_require(item, "primary_ip", "instance")))
        if ipaddress.ip_address(ip) not in ipaddress.ip_network(subnet["cidr"]):
            raise TopologyError("instance %s primary IP %s is outside subnet %s" % (iid, ip, subnet["cidr"]))
        sgs = [_uuid(g, "security group") for g in item.get("security_groups") or list(groups)[:1]]
        for gid in sgs:
            if gid not in groups:
                raise TopologyError("instance %s names unknown security group %s" % (iid, gid))
        eni_id = _uuid(_require(item, "primary_eni_id", "instance"), "network interface")
        instances[iid] = {
            "id": iid,
            "name": item.get("name", iid),
            "type": itype,
            "zone": zone,
            "subnet_id": subnet_id,
            "primary_ip": ip,
            "primary_eni_id": eni_id,
            "project_id": int(item.get("project_id", 0)),
            "state": item.get("state", "active"),
            "image_id": item.get("image_id", "IMG-centos-7.9"),
            "created": item.get("created", "2026-01-01T00:00:00Z"),
        }
        enis[eni_id] = {
            "id": eni_id,
            "name": item.get("name", iid) + "-primary",
            "type": "primary",
            "subnet_id": subnet_id,
            "primary_ip": ip,
            "secondary_ips": [],
            "security_group_ids": sgs,
            "mac": item.get("mac"),
            "instance_id": iid,
            "state": "inuse",
            "until": None,
            "created": instances[iid]["created"],
        }
    return instances, enis


def eip_config(topo):
    """The public side: the pool EIPs are taken from, the lines (LineId) and the account's EIP quota."""
    item = topo.get("eip") or {}
    pool = ipaddress.ip_network(item.get("pool", "198.51.100.0/24"))
    lines = [
        {"id": _uuid(line.get("id"), "line"), "name": line.get("name", "BGP")}
        for line in item.get("lines") or [{"id": "5f2c7a10-0006-4a6e-9c1b-000000000001", "name": "BGP"}]
    ]
    return {"pool": str(pool), "lines": lines, "quota": int(item.get("quota", 10))}


def initial_state(topo):
    """A fresh, validated state dict (JSON-serialisable) from a topology dict."""
    vpcs = _vpcs(topo)
    subnets = _subnets(topo, vpcs)
    groups = _security_groups(topo, vpcs)
    types = _instance_types(topo)
    instances, enis = _instances(topo, subnets, groups, types)
    seen = {}
    for eni in enis.values():
        key = (eni["subnet_id"], eni["primary_ip"])
        if key in seen:
            raise TopologyError(
                "primary IP %s is used by both %s and %s" % (eni["primary_ip"], seen[key], eni["instance_id"])
            )
        seen[key] = eni["instance_id"]
    data = {
        "region": topo.get("region", "cn-beijing-6"),
        "vpcs": vpcs,
        "subnets": subnets,
        "security_groups": groups,
        "instance_types": types,
        "instances": instances,
        "network_interfaces": enis,
        "ip_attributes": {},
        "eip": eip_config(topo),
        "addresses": {},
    }
    data["kce"] = kce_state(topo, data, TopologyError)
    return data
