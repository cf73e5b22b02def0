"""VPC 2016-03-04 subnet and security group actions, including the subnet IP reservation attribute."""

import ipaddress
import uuid

from . import ipam, render
from .errors import ApiError, invalid, missing
from .paging import matches, next_token_page

SUBNET_FILTERS = (
    "vpc-id",
    "nat-id",
    "network-acl-id",
    "subnet-type",
    "availability-zone-name",
    "subnet-name",
    "route-table-id",
)
_IP_ID_NAMESPACE = uuid.UUID("0f6b1a4e-52c9-4a8e-9a57-6f1d2f4c7a10")


def describe_subnets(state, params):
    ids = set(params.list("SubnetId"))
    filters = params.filters(SUBNET_FILTERS)
    items = []
    for subnet in state.data["subnets"].values():
        getters = {
            "vpc-id": lambda s=subnet: s["vpc_id"],
            "nat-id": lambda: "",
            "network-acl-id": lambda: "",
            "route-table-id": lambda: "",
            "subnet-type": lambda s=subnet: s["type"],
            "availability-zone-name": lambda s=subnet: s["zone"],
            "subnet-name": lambda s=subnet: s["name"],
        }
        if (not ids or subnet["id"] in ids) and matches(filters, getters):
            items.append(subnet)
    page, extra = next_token_page(params, items, state.settings.default_page_size)
    extra.pop("TotalCount")
    return dict(extra, SubnetSet=[render.subnet(state, s) for s in page])


def _one_subnet(state, params):
    """The single ``subnet-id`` filter value both address calls require ([C:S4] "required, exactly one")."""
    filters = params.filters(("subnet-id",))
    if len(filters) != 1 or len(filters[0][1]) != 1:
        if not filters:
            raise missing("Filter.1.Name=subnet-id")
        raise invalid("Filter", filters, "exactly one subnet-id filter with exactly one value is required")
    return state.subnet(filters[0][1][0])


def _address_page(state, params, ips):
    page, extra = next_token_page(params, ips, state.settings.default_page_size)
    extra.pop("TotalCount")
    # The key is AvailableIpAddress for both calls: a real quirk ([C:S3, S4, S5]).
    return dict(extra, AvailableIpAddress=page)


def describe_subnet_available_addresses(state, params):
    subnet = _one_subnet(state, params)
    return _address_page(
        state, params, ipam.available(state, subnet, state.settings.available_addresses_include_specific)
    )


def describe_subnet_allocated_ip_addresses(state, params):
    subnet = _one_subnet(state, params)
    used = sorted(ipam.in_use(state, subnet["id"]), key=ipaddress.ip_address)
    return _address_page(state, params, used)


def modify_private_ip_address_attribute(state, params):
    subnet = state.subnet(params.str("SubnetId", required=True))
    ip = ipam.check_in_subnet(subnet, "PrivateIpAddress", params.str("PrivateIpAddress", required=True))
    allocate = params.str("AllocateStatus")
    status = params.str("Status")
    if allocate is None and status is None:
        raise missing("AllocateStatus")
    if allocate is not None and allocate not in (ipam.RANDOM, ipam.SPECIFIC):
        raise invalid("AllocateStatus", allocate, "use random or specific")
    holder = ipam.in_use(state, subnet["id"]).get(ip)
    if allocate == ipam.SPECIFIC and holder and not state.settings.allow_specific_on_assigned_ip:
        raise ApiError(
            "PrivateIpAddressInUse",
            "The private IP address %s is assigned to network interface %s and cannot be marked specific; unassign it first."
            % (ip, holder),
        )
    table = state.data["ip_attributes"].setdefault(subnet["id"], {})
    attrs = table.setdefault(ip, {})
    if allocate is not None:
        attrs["allocate_status"] = allocate
    if status is not None:
        attrs["status"] = status
    if attrs.get("allocate_status", ipam.RANDOM) == ipam.RANDOM and "status" not in attrs:
        del table[ip]
    return {
        "PrivateIpAddressAttribute": {
            "PrivateIpAddressId": str(uuid.uuid5(_IP_ID_NAMESPACE, "%s/%s" % (subnet["id"], ip))),
            "SubnetId": subnet["id"],
            "PrivateIpAddress": ip,
            "Status": attrs.get("status") or ("inuse" if holder else "available"),
            "AllocateStatus": attrs.get("allocate_status", ipam.RANDOM),
        }
    }


def describe_security_groups(state, params):
    ids = set(params.list("SecurityGroupId"))
    filters = params.filters(("vpc-id",))
    items = [
        g
        for g in state.data["security_groups"].values()
        if (not ids or g["id"] in ids) and matches(filters, {"vpc-id": lambda g=g: g["vpc_id"]})
    ]
    page, extra = next_token_page(params, items, state.settings.default_page_size)
    extra.pop("TotalCount")
    return dict(extra, SecurityGroupSet=[render.security_group(g) for g in page])
