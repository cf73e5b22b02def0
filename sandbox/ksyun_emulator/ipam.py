"""Subnet address rules: which IPs exist, which the platform keeps, which are used or reserved, random picks."""

import ipaddress

from .errors import ApiError, invalid

RANDOM, SPECIFIC = "random", "specific"


def network(subnet):
    return ipaddress.ip_network(subnet["cidr"])


def gateway(subnet):
    return str(network(subnet).network_address + 1)


def platform_reserved(subnet):
    """Network, gateway (.1), broadcast and the topology's extra reserved addresses: never assignable."""
    net = network(subnet)
    return {str(net.network_address), gateway(subnet), str(net.broadcast_address)} | set(subnet["reserved"])


def usable(subnet):
    """Every address an ENI could ever hold, in order."""
    kept = platform_reserved(subnet)
    return [str(ip) for ip in network(subnet).hosts() if str(ip) not in kept]


def in_use(state, subnet_id):
    """ip -> ENI id for every primary and secondary IP held in the subnet."""
    used = {}
    for eni in state.data["network_interfaces"].values():
        if eni["subnet_id"] == subnet_id:
            used[eni["primary_ip"]] = eni["id"]
            for ip in eni["secondary_ips"]:
                used[ip] = eni["id"]
    return used


def attributes(state, subnet_id, ip):
    return state.data["ip_attributes"].get(subnet_id, {}).get(ip, {})


def is_specific(state, subnet_id, ip):
    return attributes(state, subnet_id, ip).get("allocate_status") == SPECIFIC


def specific(state, subnet_id):
    return {
        ip
        for ip, attrs in state.data["ip_attributes"].get(subnet_id, {}).items()
        if attrs.get("allocate_status") == SPECIFIC
    }


def parse_ip(param, value):
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise invalid(param, value, "not an IPv4 address") from None


def check_in_subnet(subnet, param, ip):
    """Refuse an address outside the CIDR or one the platform keeps (network, gateway, broadcast, reserved)."""
    ip = parse_ip(param, ip)
    if ipaddress.ip_address(ip) not in network(subnet):
        raise invalid(param, ip, "outside subnet %s CIDR %s" % (subnet["id"], subnet["cidr"]))
    if ip in platform_reserved(subnet):
        raise invalid(
            param,
            ip,
            "%s is the network, gateway, broadcast or a platform-reserved address of %s" % (ip, subnet["cidr"]),
        )
    return ip


def check_explicit(state, subnet, param, ip, taken=()):
    """An IP named by the caller: in the subnet, free, and takeable under the ``specific`` rules."""
    ip = check_in_subnet(subnet, param, ip)
    holder = in_use(state, subnet["id"]).get(ip)
    if holder or ip in taken:
        raise ApiError(
            "PrivateIpAddressInUse",
            "The private IP address %s is already in use by network interface %s." % (ip, holder or "in this request"),
        )
    if is_specific(state, subnet["id"], ip) and not state.settings.explicit_assign_takes_specific:
        raise ApiError(
            "PrivateIpAddressReserved",
            "The private IP address %s is reserved (AllocateStatus=specific); set it to random first." % ip,
        )
    return ip


def allocate_random(state, subnet, count):
    """``count`` free addresses that are not reserved as ``specific``, chosen with the seeded RNG."""
    excluded = set(in_use(state, subnet["id"])) | specific(state, subnet["id"])
    free = [ip for ip in usable(subnet) if ip not in excluded]
    if len(free) < count:
        raise ApiError(
            "InsufficientFreeAddressesInSubnet",
            "Subnet %s (%s) has %d addresses free for random allocation, %d requested."
            % (subnet["id"], subnet["cidr"], len(free), count),
        )
    return state.rng.sample(free, count)


def available(state, subnet, include_specific):
    excluded = set(in_use(state, subnet["id"]))
    if not include_specific:
        excluded |= specific(state, subnet["id"])
    return [ip for ip in usable(subnet) if ip not in excluded]
