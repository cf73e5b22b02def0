"""KEC 2016-03-04 actions: attach/detach network interfaces, describe instances and instance type quotas."""

import time

from . import eip, ipam, quota, render
from .errors import ApiError, invalid
from .paging import marker_page, matches
from .vpc_eni import new_network_interface, security_groups

INSTANCE_FILTERS = (
    "instance-id",
    "subnet-id",
    "vpc-id",
    "instance-name",
    "instance-type",
    "private-ip-address",
    "image-id",
    "charge-type",
    "network-interface.subnet-id",
    "network-interface.network-interface-id",
    "network-interface.group-id",
    "instance-state.name",
    "availability-zone-name",
)
TYPE_FILTERS = ("instance-family", "instance-type", "availability-zone")


def _check_instance_idle(state, instance):
    if state.settings.instance_busy_during_transition and state.instance_state(instance) == "updating":
        raise ApiError(
            "IncorrectInstanceState",
            "Instance %s is updating a network interface; retry when it is active again." % instance["id"],
        )


def _begin(state, eni, kind):
    seconds = state.settings.transition_seconds
    if seconds <= 0:
        eni["state"], eni["until"] = ("inuse" if kind == "attaching" else "available"), None
        if kind == "detaching":
            eni["instance_id"] = None
        return
    eni["state"], eni["until"] = kind, time.time() + seconds


def _check_attachable(state, instance, eni):
    if eni["type"] == "primary":
        raise ApiError(
            "OperationDenied.PrimaryNetworkInterface",
            "Network interface %s is a primary interface and cannot be attached elsewhere." % eni["id"],
        )
    if eni["state"] in ("attaching", "detaching"):
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is %s; wait until it is available." % (eni["id"], eni["state"]),
        )
    if eni["instance_id"]:
        raise ApiError(
            "NetworkInterfaceInUse",
            "Network interface %s is already attached to instance %s." % (eni["id"], eni["instance_id"]),
        )
    subnet = state.subnet(eni["subnet_id"])
    if subnet["zone"] != instance["zone"]:
        raise ApiError(
            "AvailabilityZoneMismatch",
            "Network interface %s is in subnet %s of zone %s but instance %s is in zone %s; use a subnet in %s."
            % (eni["id"], subnet["id"], subnet["zone"], instance["id"], instance["zone"], instance["zone"]),
        )
    if subnet["vpc_id"] != state.subnet(instance["subnet_id"])["vpc_id"]:
        raise invalid(
            "NetworkInterfaceId", eni["id"], "the network interface is in another VPC than instance %s" % instance["id"]
        )
    quota.check_eni_quota(state, instance)
    quota.check_ip_quota(state, instance, eni, 0)


def attach_network_interface(state, params):
    instance = state.instance(params.str("InstanceId", required=True))
    eni_id = params.str("NetworkInterfaceId")
    creating = params.str("SubnetId") is not None
    if eni_id and creating:
        raise invalid(
            "SubnetId",
            params.str("SubnetId"),
            "give NetworkInterfaceId (attach an existing ENI) or SubnetId (create one), not both",
        )
    if not eni_id and not creating:
        raise ApiError(
            "MissingParameter", "The request must contain NetworkInterfaceId (or SubnetId to create and attach)."
        )
    _check_instance_idle(state, instance)
    eni = state.eni(eni_id) if eni_id else new_network_interface(state, params)
    _check_attachable(state, instance, eni)
    if creating:
        state.data["network_interfaces"][eni["id"]] = eni
    eni["instance_id"] = instance["id"]
    _begin(state, eni, "attaching")
    return {"Return": True}


def detach_network_interface(state, params):
    instance = state.instance(params.str("InstanceId", required=True))
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    if eni["type"] == "primary":
        raise ApiError(
            "OperationDenied.PrimaryNetworkInterface",
            "Network interface %s is the primary interface of instance %s and cannot be detached."
            % (eni["id"], instance["id"]),
        )
    if eni["state"] in ("attaching", "detaching"):
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is %s; wait until the change completes." % (eni["id"], eni["state"]),
        )
    if eni["instance_id"] != instance["id"]:
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is not attached to instance %s." % (eni["id"], instance["id"]),
        )
    _check_instance_idle(state, instance)
    eip.drop_associations(state, eni)
    _begin(state, eni, "detaching")
    return {"Return": True}


def describe_instances(state, params):
    ids = params.list("InstanceId")
    if len(ids) > 100:
        raise invalid("InstanceId", len(ids), "at most 100 instance ids per call")
    projects = {0}
    if params.list("ProjectId"):
        try:
            projects = {int(p) for p in params.list("ProjectId")}
        except ValueError:
            raise invalid("ProjectId", params.list("ProjectId"), "project ids are integers") from None
    filters = params.filters(INSTANCE_FILTERS)
    items = []
    for inst in state.data["instances"].values():
        if ids and inst["id"] not in ids or inst["project_id"] not in projects:
            continue
        enis = state.enis_of(inst["id"])
        subnet = state.data["subnets"][inst["subnet_id"]]
        getters = {
            "instance-id": lambda i=inst: i["id"],
            "subnet-id": lambda i=inst: i["subnet_id"],
            "vpc-id": lambda s=subnet: s["vpc_id"],
            "instance-name": lambda i=inst: i["name"],
            "instance-type": lambda i=inst: i["type"],
            "private-ip-address": lambda i=inst: i["primary_ip"],
            "image-id": lambda i=inst: i["image_id"],
            "charge-type": lambda: "Monthly",
            "network-interface.subnet-id": lambda es=enis: [e["subnet_id"] for e in es],
            "network-interface.network-interface-id": lambda es=enis: [e["id"] for e in es],
            "network-interface.group-id": lambda es=enis: [g for e in es for g in e["security_group_ids"]],
            "instance-state.name": lambda i=inst: state.instance_state(i),
            "availability-zone-name": lambda i=inst: i["zone"],
        }
        if matches(filters, getters):
            items.append(inst)
    page, extra = marker_page(params, items, state.settings.default_page_size)
    return dict(extra, InstancesSet=[render.instance(state, i) for i in page])


def describe_instance_type_configs(state, params):
    filters = params.filters(TYPE_FILTERS)
    items = [
        t
        for t in state.data["instance_types"].values()
        if matches(
            filters,
            {
                "instance-family": lambda t=t: t["family"],
                "instance-type": lambda t=t: t["type"],
                "availability-zone": lambda t=t: t["zones"],
            },
        )
    ]
    return {"InstanceTypeConfigSet": [render.instance_type_config(t) for t in items]}


def modify_network_interface_attribute(state, params):
    """Subnet, primary IP and security groups of an attached ENI (groups left out are removed, SDK model doc)."""
    instance = state.instance(params.str("InstanceId", required=True))
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    if eni["instance_id"] != instance["id"] or eni["state"] != "inuse":
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is not attached to instance %s (it is %s); attach it first."
            % (eni["id"], instance["id"], eni["state"]),
        )
    subnet = state.subnet(params.str("SubnetId", required=True))
    groups = security_groups(state, subnet, params)
    if subnet["vpc_id"] != state.subnet(eni["subnet_id"])["vpc_id"] or subnet["zone"] != instance["zone"]:
        raise invalid(
            "SubnetId",
            subnet["id"],
            "the subnet must be in the VPC and zone (%s) of instance %s" % (instance["zone"], instance["id"]),
        )
    wanted = params.str("PrivateIpAddress")
    moving = subnet["id"] != eni["subnet_id"] or (wanted is not None and wanted != eni["primary_ip"])
    if moving and eni["secondary_ips"]:
        raise invalid(
            "PrivateIpAddress",
            wanted,
            "network interface %s holds secondary IPs %s; unassign them before changing its subnet or primary IP"
            % (eni["id"], ", ".join(eni["secondary_ips"])),
        )
    if moving:
        ip = (
            ipam.check_explicit(state, subnet, "PrivateIpAddress", wanted)
            if wanted
            else ipam.allocate_random(state, subnet, 1)[0]
        )
        eip.drop_associations(state, eni, [eni["primary_ip"]])
        eni["subnet_id"], eni["primary_ip"] = subnet["id"], ip
    eni["security_group_ids"] = groups
    return {"Return": True}
