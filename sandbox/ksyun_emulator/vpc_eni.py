"""VPC 2016-03-04 network interface actions: create, delete, rename, describe, assign and unassign IPs."""

import time

from . import eip, ipam, quota, render
from .errors import ApiError, invalid
from .paging import matches, next_token_page

ENI_FILTERS = (
    "vpc-id",
    "subnet-id",
    "securitygroup-id",
    "instance-type",
    "instance-id",
    "private-ip-address",
    "availability-zone-name",
    "networkInterface-type",
)


def now_text():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def security_groups(state, subnet, params):
    """The ``SecurityGroupId.N`` list: required, existing, in the subnet's VPC."""
    ids = list(dict.fromkeys(params.list("SecurityGroupId", required=True)))
    for gid in ids:
        group = state.security_group(gid)
        if group["vpc_id"] != subnet["vpc_id"]:
            raise invalid(
                "SecurityGroupId",
                gid,
                "security group is in VPC %s, subnet %s is in VPC %s"
                % (group["vpc_id"], subnet["id"], subnet["vpc_id"]),
            )
    return ids


def new_network_interface(state, params):
    """Validate and build (not store) a detached extension ENI from SubnetId/SecurityGroupId.N/PrivateIpAddress."""
    subnet = state.subnet(params.str("SubnetId", required=True))
    if subnet["type"] != "Normal":
        raise invalid(
            "SubnetId", subnet["id"], "subnet type is %s; network interfaces need a Normal subnet" % subnet["type"]
        )
    groups = security_groups(state, subnet, params)
    wanted = params.str("PrivateIpAddress")
    ip = (
        ipam.check_explicit(state, subnet, "PrivateIpAddress", wanted)
        if wanted
        else ipam.allocate_random(state, subnet, 1)[0]
    )
    eni_id = state.new_id()
    return {
        "id": eni_id,
        "name": params.str("NetworkInterfaceName", default=eni_id),
        "type": "extension",
        "subnet_id": subnet["id"],
        "primary_ip": ip,
        "secondary_ips": [],
        "security_group_ids": groups,
        "mac": params.str("MacAddress") or state.new_mac(eni_id),
        "instance_id": None,
        "state": "available",
        "until": None,
        "created": now_text(),
    }


def create_network_interface(state, params):
    eni = new_network_interface(state, params)
    state.data["network_interfaces"][eni["id"]] = eni
    return {"NetworkInterfaceId": eni["id"]}


def delete_network_interface(state, params):
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    if eni["type"] == "primary":
        raise ApiError(
            "OperationDenied.PrimaryNetworkInterface",
            "Network interface %s is the primary interface of instance %s and cannot be deleted."
            % (eni["id"], eni["instance_id"]),
        )
    if eni["state"] in ("attaching", "detaching"):
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is %s; wait until it is available, then delete it." % (eni["id"], eni["state"]),
        )
    if eni["instance_id"]:
        raise ApiError(
            "NetworkInterfaceInUse",
            "Network interface %s is attached to instance %s; detach it before deleting it."
            % (eni["id"], eni["instance_id"]),
        )
    eip.drop_associations(state, eni)
    del state.data["network_interfaces"][eni["id"]]
    return {"Return": True}


def modify_network_interface(state, params):
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    eni["name"] = params.str("NetworkInterfaceName", required=True)
    return {"Return": True}


def describe_network_interfaces(state, params):
    ids = set(params.list("NetworkInterfaceId"))
    filters = params.filters(ENI_FILTERS)
    secondary = state.settings.private_ip_filter_matches_secondary
    items = []
    for eni in state.data["network_interfaces"].values():
        if ids and eni["id"] not in ids:
            continue
        subnet = state.data["subnets"][eni["subnet_id"]]
        getters = {
            "vpc-id": lambda s=subnet: s["vpc_id"],
            "subnet-id": lambda s=subnet: s["id"],
            "securitygroup-id": lambda e=eni: e["security_group_ids"],
            "instance-type": lambda e=eni: "kec" if e["instance_id"] else "",
            "instance-id": lambda e=eni: e["instance_id"] or "",
            "private-ip-address": lambda e=eni: [e["primary_ip"]] + (e["secondary_ips"] if secondary else []),
            "availability-zone-name": lambda s=subnet: s["zone"],
            "networkInterface-type": lambda e=eni: e["type"],
        }
        if matches(filters, getters):
            items.append(eni)
    page, extra = next_token_page(params, items, state.settings.default_page_size)
    return dict(extra, NetworkInterfaceSet=[render.network_interface(state, e) for e in page])


def _attached_instance(state, eni):
    return state.data["instances"].get(eni["instance_id"]) if eni["instance_id"] else None


def assign_private_ip_address(state, params):
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    subnet = state.subnet(eni["subnet_id"])
    named = params.list("PrivateIpAddress")
    count = params.int("SecondaryPrivateIpAddressCount", minimum=1, maximum=100)
    if named and count is not None:
        raise invalid(
            "SecondaryPrivateIpAddressCount",
            count,
            "give either PrivateIpAddress.N or SecondaryPrivateIpAddressCount, not both",
        )
    if not named and count is None:
        raise ApiError(
            "MissingParameter", "The request must contain PrivateIpAddress.1 or SecondaryPrivateIpAddressCount."
        )
    quota.check_ip_quota(state, _attached_instance(state, eni), eni, len(named) if named else count)
    if named:
        ips = []
        for pos, ip in enumerate(named, start=1):
            ips.append(ipam.check_explicit(state, subnet, "PrivateIpAddress.%d" % pos, ip, taken=ips))
    else:
        ips = ipam.allocate_random(state, subnet, count)
    eni["secondary_ips"].extend(ips)
    return {"NetworkInterface": render.network_interface(state, eni)}


def unassign_private_ip_address(state, params):
    eni = state.eni(params.str("NetworkInterfaceId", required=True))
    ips = [
        ipam.parse_ip("PrivateIpAddress.%d" % pos, ip)
        for pos, ip in enumerate(params.list("PrivateIpAddress", required=True), start=1)
    ]
    for pos, ip in enumerate(ips, start=1):
        if ip == eni["primary_ip"]:
            raise invalid(
                "PrivateIpAddress.%d" % pos,
                ip,
                "this is the primary IP of %s; only secondary IPs can be unassigned" % eni["id"],
            )
        if ip not in eni["secondary_ips"]:
            raise ApiError(
                "InvalidPrivateIpAddress.NotFound",
                "The private IP address %s is not assigned to network interface %s (not found)." % (ip, eni["id"]),
            )
    eip.drop_associations(state, eni, ips)
    eni["secondary_ips"] = [ip for ip in eni["secondary_ips"] if ip not in ips]
    return {"Return": True}
