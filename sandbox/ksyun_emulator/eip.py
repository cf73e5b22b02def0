"""EIP 2016-03-04 actions (elastic public IPs): allocate, release, describe, associate with an ENI's IP, disassociate.

Parameter names are the official SDK's (``ksyun/client/eip/v20160304/models.py``); the answer's shape
(``AddressesSet``, ``AllocationId``, ``State`` associate/disassociate, the filter names) is what KSYUN's
Terraform provider reads ([C:S5] ``service_ksyun_eip.go``, ``data_source_ksyun_eips.go``). Everything else
is modelled and listed in docs/sandbox.md; the [U] items have a setting.
"""

import ipaddress
import time

from . import ipam, render
from .errors import ApiError, invalid, missing, not_found
from .paging import matches, next_token_page

ADDRESS_FILTERS = (
    "network-interface-id",
    "instance-type",
    "internet-gateway-id",
    "band-width-share-id",
    "line-id",
    "public-ip",
)
# The SDK model's list of ChargeType values (AllocateAddressRequest docstring).
CHARGE_TYPES = ("Monthly", "Peak", "Daily", "TrafficMonthly", "DailyPaidByTransfer", "HourlyInstantSettlement")
# AssociateAddressRequest: "InstanceType: Ipfwd|Slb|Havip"; the emulator has ENIs only.
IPFWD = "Ipfwd"
INSTANCE_TYPES = (IPFWD, "Slb", "Havip")
ASSOCIATE, DISASSOCIATE = "associate", "disassociate"


def address(state, allocation_id):
    item = state.data["addresses"].get(allocation_id or "")
    if item is None:
        raise not_found("elastic IP", allocation_id)
    return item


def _lines(state):
    return state.data["eip"]["lines"]


def holder(state, assoc):
    """``(eni, instance id)`` the association reaches now: the stored ENI, or, when associations follow their IP, the
    ENI holding it (``(None, None)`` while none does)."""
    if not state.settings.eip_follows_private_ip:
        eni = state.data["network_interfaces"].get(assoc["eni_id"])
        return eni, assoc["instance_id"]
    eni_id = ipam.in_use(state, assoc["subnet_id"]).get(assoc["private_ip"])
    eni = state.data["network_interfaces"].get(eni_id) if eni_id else None
    return eni, (eni["instance_id"] if eni else None)


def drop_associations(state, eni, ips=None):
    """The IPs (all of the ENI's when None) left the ENI: their associations drop, unless they follow their IP."""
    if state.settings.eip_follows_private_ip:
        return
    leaving = set(eni["secondary_ips"] + [eni["primary_ip"]] if ips is None else ips)
    for item in state.data["addresses"].values():
        assoc = item["association"]
        if assoc and assoc["eni_id"] == eni["id"] and assoc["private_ip"] in leaving:
            item["association"] = None


def allocate_address(state, params):
    config = state.data["eip"]
    band_width = params.int("BandWidth", minimum=1, maximum=15000)
    if band_width is None:
        raise missing("BandWidth")
    line_id = params.str("LineId", default=_lines(state)[0]["id"])
    if line_id not in {line["id"] for line in _lines(state)}:
        raise invalid("LineId", line_id, "known lines: %s" % ", ".join(line["id"] for line in _lines(state)))
    charge_type = params.str("ChargeType", default="Daily")
    if charge_type not in CHARGE_TYPES:
        raise invalid("ChargeType", charge_type, "one of %s" % ", ".join(CHARGE_TYPES))
    purchase_time = params.int("PurchaseTime", minimum=1, maximum=36)
    if charge_type == "Monthly" and purchase_time is None:
        raise missing("PurchaseTime")
    if len(state.data["addresses"]) >= config["quota"]:
        raise ApiError(
            "QuotaExceeded.Address",
            "The account already has %d of %d elastic IPs in region %s; release one or ask for a higher quota."
            % (len(state.data["addresses"]), config["quota"], state.data["region"]),
        )
    used = {item["public_ip"] for item in state.data["addresses"].values()}
    free = [str(ip) for ip in ipaddress.ip_network(config["pool"]).hosts() if str(ip) not in used]
    if not free:
        raise ApiError(
            "QuotaExceeded.Address",
            "No public IP is left in the pool %s of region %s." % (config["pool"], state.data["region"]),
        )
    allocation_id = state.new_id()
    state.data["addresses"][allocation_id] = {
        "id": allocation_id,
        "public_ip": free[0],
        "line_id": line_id,
        "band_width": band_width,
        "charge_type": charge_type,
        "project_id": params.str("ProjectId", default="0"),
        "created": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "association": None,
        "tags": {},
    }
    return {"AllocationId": allocation_id, "PublicIp": free[0]}


def release_address(state, params):
    item = address(state, params.str("AllocationId", required=True))
    if item["association"] and not state.settings.release_associated_address:
        raise ApiError(
            "AddressInUse",
            "The elastic IP %s (%s) is associated with network interface %s; disassociate it first."
            % (item["id"], item["public_ip"], item["association"]["eni_id"]),
        )
    del state.data["addresses"][item["id"]]
    return {"Return": True}


def describe_addresses(state, params):
    ids = set(params.list("AllocationId"))
    projects = set(params.list("ProjectId"))
    filters = params.filters(ADDRESS_FILTERS)
    wanted_state = params.str("State")
    if wanted_state not in (None, ASSOCIATE, DISASSOCIATE):
        raise invalid("State", wanted_state, "one of %s, %s" % (ASSOCIATE, DISASSOCIATE))
    version = params.str("IpVersion", default="ipv4")
    if version not in ("ipv4", "ipv6", "all"):
        raise invalid("IpVersion", version, "one of ipv4, ipv6, all")
    with_tags = (params.str("IsContainTag") or "").lower() == "true"
    items = []
    for item in sorted(state.data["addresses"].values(), key=lambda a: (a["created"], a["public_ip"])):
        if ids and item["id"] not in ids or projects and item["project_id"] not in projects or version == "ipv6":
            continue
        view = render.address(state, item, holder(state, item["association"]) if item["association"] else None)
        if wanted_state and view["State"] != wanted_state:
            continue
        getters = {
            "network-interface-id": lambda v=view: v.get("NetworkInterfaceId", ""),
            "instance-type": lambda v=view: v.get("InstanceType", ""),
            "internet-gateway-id": lambda v=view: v.get("InternetGatewayId", ""),
            "band-width-share-id": lambda v=view: v.get("BandWidthShareId", ""),
            "line-id": lambda v=view: v["LineId"],
            "public-ip": lambda v=view: v["PublicIp"],
        }
        if matches(filters, getters):
            if with_tags:
                view["TagSet"] = [{"TagKey": k, "TagValue": v} for k, v in sorted(item["tags"].items())]
            items.append(view)
    page, extra = next_token_page(params, items, state.settings.default_page_size)
    return dict(extra, AddressesSet=page)


def _target(state, params):
    """``(instance, eni, private ip)`` an association would reach, checked."""
    kind = params.str("InstanceType", required=True)
    if kind not in INSTANCE_TYPES:
        raise invalid("InstanceType", kind, "one of %s" % "|".join(INSTANCE_TYPES))
    if kind != IPFWD:
        raise invalid("InstanceType", kind, "the emulator associates EIPs with network interfaces (Ipfwd) only")
    mode = params.str("Mode")
    if mode not in (None, "binded"):
        raise invalid("Mode", mode, "leave it out, or binded")
    instance = state.instance(params.str("InstanceId", required=True))
    eni_id = params.str("NetworkInterfaceId") or instance["primary_eni_id"]
    eni = state.eni(eni_id)
    if eni["instance_id"] != instance["id"] or eni["state"] != "inuse":
        raise ApiError(
            "IncorrectNetworkInterfaceState",
            "Network interface %s is not attached to instance %s (it is %s%s); attach it first."
            % (eni["id"], instance["id"], eni["state"], " on %s" % eni["instance_id"] if eni["instance_id"] else ""),
        )
    ip = params.str("PrivateIpAddress")
    if ip is None:
        return instance, eni, eni["primary_ip"]
    ip = ipam.parse_ip("PrivateIpAddress", ip)
    if ip != eni["primary_ip"] and ip not in eni["secondary_ips"]:
        raise ApiError(
            "InvalidPrivateIpAddress.NotFound",
            "The private IP address %s is not assigned to network interface %s (not found)." % (ip, eni["id"]),
        )
    return instance, eni, ip


def associate_address(state, params):
    item = address(state, params.str("AllocationId", required=True))
    instance, eni, ip = _target(state, params)
    if item["association"]:
        bound, _instance = holder(state, item["association"])
        raise ApiError(
            "AddressInUse",
            "The elastic IP %s (%s) is already associated with %s of network interface %s; disassociate it first."
            % (item["id"], item["public_ip"], item["association"]["private_ip"], bound["id"] if bound else "(none)"),
        )
    for other in state.data["addresses"].values():
        assoc = other["association"]
        if assoc and assoc["subnet_id"] == eni["subnet_id"] and assoc["private_ip"] == ip:
            raise ApiError(
                "AddressInUse",
                "The private IP address %s of network interface %s already has the elastic IP %s (%s)."
                % (ip, eni["id"], other["id"], other["public_ip"]),
            )
    item["association"] = {
        "instance_type": IPFWD,
        "instance_id": instance["id"],
        "eni_id": eni["id"],
        "subnet_id": eni["subnet_id"],
        "private_ip": ip,
        "mode": params.str("Mode"),
    }
    return {"Return": True}


def disassociate_address(state, params):
    item = address(state, params.str("AllocationId", required=True))
    if not item["association"]:
        raise ApiError(
            "IncorrectAddressState",
            "The elastic IP %s (%s) is not associated with anything." % (item["id"], item["public_ip"]),
        )
    item["association"] = None
    return {"Return": True}


def create_tag_and_attach_resource(state, params):
    """tagv2 2020-09-01: one tag (key, value) on one resource; only EIPs are emulated."""
    kind = params.str("ResourceType", required=True)
    if kind != "eip":
        raise invalid("ResourceType", kind, "the emulator tags elastic IPs (eip) only")
    key = params.str("TagKey", required=True)
    if key.lower().startswith("ksc") or len(key) > 128:
        raise invalid("TagKey", key, "at most 128 characters, not starting with ksc")
    value = params.str("TagValue", default="")
    if len(value) > 255:
        raise invalid("TagValue", value, "at most 255 characters")
    address(state, params.str("ResourceUuid", required=True))["tags"][key] = value
    return {"Return": True}
