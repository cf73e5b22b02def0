#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: subnet_info
short_description: List KSYUN VPC subnets with their available, allocated and reserved addresses
version_added: 0.1.0
description:
  - Lists subnets, filtered by id, VPC, zone or name, with their address counts.
  - With O(include_addresses=true) (the default), each subnet also lists its available addresses, its
    allocated addresses, and its reserved addresses, which is what fixed Pod IPs need.
  - B(Reserved) addresses are the ones with C(AllocateStatus=specific), which random allocation never hands
    out. The KSYUN API has no call that lists them, so they are derived. A free reserved address is one in
    the subnet's assignable range (C(DhcpIpFrom) to C(DhcpIpTo)) that is neither available nor allocated;
    an address reported as allocated that no ENI holds is counted as reserved too. The API does report how
    many free addresses are reserved (C(AvailableIpNumber) minus C(RandomAvailableIpNum)); when the derived
    list does not match that number, the module warns and RV(subnets[].reserved_addresses_complete) is V(false).
  - A reserved address that is currently assigned to an ENI cannot be told apart from other assigned
    addresses through the API, so it is not listed as reserved.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  subnet_ids:
    description:
      - Only these subnets.
    type: list
    elements: str
    aliases: [ids]
  vpc_id:
    description:
      - Only subnets of this VPC.
    type: str
  availability_zone:
    description:
      - Only subnets in this zone, for example V(cn-beijing-6a).
    type: str
  name:
    description:
      - Only subnets with this name.
    type: str
  include_addresses:
    description:
      - List the available, allocated and reserved addresses of each subnet.
      - This costs two paged calls per subnet (the API answers for one subnet at a time) plus one paged ENI
        describe for all subnets together. Set V(false) for only the counts.
    type: bool
    default: true
extends_documentation_fragment:
  - ksyun.kce.ksyun.read_only
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
seealso:
  - module: ksyun.kce.eni_private_ip
"""

EXAMPLES = r"""
- name: Show the free and reserved addresses of the container subnet
  ksyun.kce.subnet_info:
    subnet_ids: [5f2c7a10-0002-4a6e-9c1b-000000000001]
  register: container_subnet

- name: Check that a fixed IP is still reserved
  ansible.builtin.assert:
    that: "'10.0.0.236' in container_subnet.subnets[0].reserved_addresses"

- name: Count the free addresses in every subnet of a zone
  ksyun.kce.subnet_info:
    availability_zone: cn-beijing-6a
    include_addresses: false
"""

RETURN = r"""
subnets:
  description: The matching subnets, sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The subnet id.
      type: str
    name:
      description: The subnet name.
      type: str
    vpc_id:
      description: The VPC of the subnet.
      type: str
    cidr_block:
      description: The CIDR of the subnet.
      type: str
      sample: 10.0.0.0/24
    availability_zone:
      description: The zone of the subnet.
      type: str
    type:
      description: The subnet type; ENIs need V(Normal).
      type: str
      sample: Normal
    gateway_ip:
      description: The gateway address.
      type: str
    dhcp_ip_from:
      description: The first assignable address.
      type: str
    dhcp_ip_to:
      description: The last assignable address.
      type: str
    available_ip_count:
      description: Free addresses, reserved ones included (C(AvailableIpNumber)).
      type: int
    random_available_ip_count:
      description: Free addresses that random allocation may hand out (C(RandomAvailableIpNum)).
      type: int
    reserved_free_ip_count:
      description: Free addresses that are reserved, as the API counts them (RV(subnets[].available_ip_count) minus
        RV(subnets[].random_available_ip_count)).
      type: int
    available_addresses:
      description: The addresses the API lists as available.
      type: list
      elements: str
      returned: when O(include_addresses=true)
    allocated_addresses:
      description: The addresses the API lists as allocated.
      type: list
      elements: str
      returned: when O(include_addresses=true)
    reserved_addresses:
      description: The derived reserved addresses (see the description of the module).
      type: list
      elements: str
      returned: when O(include_addresses=true)
      sample: [10.0.0.236]
    reserved_addresses_complete:
      description: Whether the derived reserved addresses match the number of reserved free addresses the API reports.
      type: bool
      returned: when O(include_addresses=true)
"""

import ipaddress

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule


def _sorted(ips):
    return sorted(set(ips), key=ipaddress.ip_address)


def subnet_view(subnet, addresses):
    view = {
        "id": subnet.subnet_id,
        "name": subnet.name,
        "vpc_id": subnet.vpc_id,
        "cidr_block": subnet.cidr,
        "availability_zone": subnet.zone,
        "type": subnet.subnet_type,
        "gateway_ip": subnet.gateway_ip,
        "dhcp_ip_from": subnet.first_ip,
        "dhcp_ip_to": subnet.last_ip,
        "available_ip_count": subnet.available_count,
        "random_available_ip_count": subnet.random_available_count,
        "reserved_free_ip_count": subnet.counted_reserved_free,
    }
    if addresses:
        reserved_free = [ip for ip in subnet.reserved_ips if ip not in subnet.allocated_ips]
        expected = view["reserved_free_ip_count"]
        view.update(
            available_addresses=_sorted(subnet.available_ips),
            allocated_addresses=_sorted(subnet.allocated_ips),
            reserved_addresses=_sorted(subnet.reserved_ips),
            reserved_addresses_complete=subnet.reservations_known
            and (expected is None or expected == len(reserved_free)),
        )
    return view


def list_subnets(module):
    params = module.params
    filters = {
        name: params[option]
        for name, option in (
            ("vpc-id", "vpc_id"),
            ("availability-zone-name", "availability_zone"),
            ("subnet-name", "name"),
        )
        if params[option]
    }
    ids = params["subnet_ids"] or None
    if params["include_addresses"]:
        subnets = list(module.reader.cloud(ids, filters=filters).subnets)
    else:
        subnets = module.reader.subnets(ids, filters=filters)
    views = [subnet_view(subnet, params["include_addresses"]) for subnet in subnets]
    for view in views:
        if params["include_addresses"] and not view["reserved_addresses_complete"]:
            module.warn(
                "subnet %s: the API counts %s reserved free addresses but %d could be derived; reserved_addresses is incomplete (the "
                "API may list reserved addresses as available, or keep addresses inside the DHCP range)"
                % (
                    view["id"],
                    view["reserved_free_ip_count"],
                    len([ip for ip in view["reserved_addresses"] if ip not in view["allocated_addresses"]]),
                )
            )
    return {"changed": False, "subnets": views}


def main():
    argument_spec = dict(
        subnet_ids=dict(type="list", elements="str", aliases=["ids"]),
        vpc_id=dict(type="str"),
        availability_zone=dict(type="str"),
        name=dict(type="str"),
        include_addresses=dict(type="bool", default=True),
    )
    KceModule(argument_spec, cloud=True).run(list_subnets)


if __name__ == "__main__":
    main()
