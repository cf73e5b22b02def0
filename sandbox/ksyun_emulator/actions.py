"""Which actions exist, which service serves each, and which of them mutate state (the "writes").

``ACTIONS`` are the VPC/KEC/EIP/tagv2 actions by name (one version per service); ``ROUTES`` adds the kce/kce2 ones
(kce_routes.py), keyed by (service, version, action): the same action name may be served at several versions.
"""

from collections import namedtuple

from . import eip, kec, vpc_eni, vpc_subnet
from .kce_routes import KCE_ROUTES, Route

VERSION = "2016-03-04"
# Services served at another version than VERSION (the SDK clients' _apiVersion).
VERSIONS = {"tagv2": "2020-09-01"}

Action = namedtuple("Action", "service write handler")

ACTIONS = {
    "CreateNetworkInterface": Action("vpc", True, vpc_eni.create_network_interface),
    "DeleteNetworkInterface": Action("vpc", True, vpc_eni.delete_network_interface),
    "ModifyNetworkInterface": Action("vpc", True, vpc_eni.modify_network_interface),
    "DescribeNetworkInterfaces": Action("vpc", False, vpc_eni.describe_network_interfaces),
    "AssignPrivateIpAddress": Action("vpc", True, vpc_eni.assign_private_ip_address),
    "UnassignPrivateIpAddress": Action("vpc", True, vpc_eni.unassign_private_ip_address),
    "DescribeSubnets": Action("vpc", False, vpc_subnet.describe_subnets),
    "DescribeSubnetAvailableAddresses": Action("vpc", False, vpc_subnet.describe_subnet_available_addresses),
    "DescribeSubnetAllocatedIpAddresses": Action("vpc", False, vpc_subnet.describe_subnet_allocated_ip_addresses),
    "ModifyPrivateIpAddressAttribute": Action("vpc", True, vpc_subnet.modify_private_ip_address_attribute),
    "DescribeSecurityGroups": Action("vpc", False, vpc_subnet.describe_security_groups),
    "AllocateAddress": Action("eip", True, eip.allocate_address),
    "ReleaseAddress": Action("eip", True, eip.release_address),
    "DescribeAddresses": Action("eip", False, eip.describe_addresses),
    "AssociateAddress": Action("eip", True, eip.associate_address),
    "DisassociateAddress": Action("eip", True, eip.disassociate_address),
    "CreateTagAndAttachResource": Action("tagv2", True, eip.create_tag_and_attach_resource),
    "AttachNetworkInterface": Action("kec", True, kec.attach_network_interface),
    "DetachNetworkInterface": Action("kec", True, kec.detach_network_interface),
    "ModifyNetworkInterfaceAttribute": Action("kec", True, kec.modify_network_interface_attribute),
    "DescribeInstances": Action("kec", False, kec.describe_instances),
    "DescribeInstanceTypeConfigs": Action("kec", False, kec.describe_instance_type_configs),
}


KCE_SERVICES = ("kce", "kce2")


def _routes():
    table = {}
    for name, action in ACTIONS.items():
        version = VERSIONS.get(action.service, VERSION)
        table[(action.service, version, name)] = Route(
            action.service, version, name, action.write, action.handler, "form", "RequestId"
        )
    for route in KCE_ROUTES:
        table[(route.service, route.version, route.name)] = route
    return table


ROUTES = _routes()
WRITES = frozenset(route.name for route in ROUTES.values() if route.write)
SERVICES = frozenset(route.service for route in ROUTES.values())


def version_of(service):
    return VERSIONS.get(service, VERSION)


def is_write(action):
    """Unknown actions count as reads: they cannot change anything."""
    return action in WRITES


def catalog():
    """``{action: {"service", "write", "versions"}}`` for the admin endpoint."""
    out = {}
    for route in sorted(ROUTES.values(), key=lambda r: (r.name, r.version)):
        entry = out.setdefault(route.name, {"service": route.service, "write": route.write, "versions": []})
        entry["versions"].append(route.version)
    return out
