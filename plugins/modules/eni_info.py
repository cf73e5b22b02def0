#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eni_info
short_description: List KSYUN elastic network interfaces (ENIs)
version_added: 0.1.0
description:
  - Lists the ENIs of a region, filtered by id, subnet, VPC, instance, private IP or name prefix.
  - All pages are read with one paged describe; there is no call per ENI.
  - The API's own C(private-ip-address) filter matches only the primary IP, so O(private_ip_address) is matched
    here instead, against the primary and all secondary IPs.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  network_interface_ids:
    description:
      - Only these ENIs.
    type: list
    elements: str
    aliases: [ids]
  subnet_id:
    description:
      - Only ENIs in this subnet.
    type: str
  vpc_id:
    description:
      - Only ENIs in this VPC.
    type: str
  instance_id:
    description:
      - Only ENIs attached to this instance.
    type: str
  private_ip_address:
    description:
      - Only the ENI that holds this IP, as its primary or as a secondary IP.
    type: str
  name_prefix:
    description:
      - Only ENIs whose name starts with this, for example V(kcefip_prod_) for the fixed Pod IP ENIs of cluster V(prod).
    type: str
extends_documentation_fragment:
  - ksyun.kce.ksyun.read_only
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
seealso:
  - module: ksyun.kce.eni
"""

EXAMPLES = r"""
- name: Find the ENI that holds a pod's IP, as primary or secondary IP
  ksyun.kce.eni_info:
    private_ip_address: 10.0.0.236
  register: holder

- name: List the fixed Pod IP ENIs of cluster prod in the container subnet
  ksyun.kce.eni_info:
    subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
    name_prefix: kcefip_prod_
  register: fixed_ip_enis
"""

RETURN = r"""
network_interfaces:
  description: The matching ENIs, sorted by id. See M(ksyun.kce.eni) for the meaning of each field.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The ENI id.
      type: str
    name:
      description: The ENI name.
      type: str
    type:
      description: V(primary) or V(extension).
      type: str
    state:
      description: The ENI state as the API reports it.
      type: str
    vpc_id:
      description: The VPC of the ENI.
      type: str
    subnet_id:
      description: The subnet of the ENI.
      type: str
    cidr_block:
      description: The CIDR of the subnet.
      type: str
    availability_zone:
      description: The zone of the subnet.
      type: str
    private_ip_address:
      description: The primary private IP.
      type: str
    secondary_private_ip_addresses:
      description: The secondary private IPs.
      type: list
      elements: str
    security_groups:
      description: Ids of the security groups.
      type: list
      elements: str
    mac_address:
      description: The MAC address.
      type: str
    instance_id:
      description: The instance the ENI is attached to, V(null) when detached.
      type: str
    create_time:
      description: When the ENI was created.
      type: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import parse_ipv4


def list_enis(module):
    params = module.params
    ip = parse_ipv4(params["private_ip_address"], "private_ip_address") if params["private_ip_address"] else None
    filters = {
        name: params[option]
        for name, option in (("subnet-id", "subnet_id"), ("vpc-id", "vpc_id"), ("instance-id", "instance_id"))
        if params[option]
    }
    found = module.reader.enis(params["network_interface_ids"], filters=filters)
    # The private-ip-address filter matches primary IPs only (docs/sandbox.md), so secondary IPs are matched here.
    found = [e for e in found if (not ip or e.holds(ip)) and e.name.startswith(params["name_prefix"] or "")]
    return {"changed": False, "network_interfaces": [e.view() for e in found]}


def main():
    argument_spec = dict(
        network_interface_ids=dict(type="list", elements="str", aliases=["ids"]),
        subnet_id=dict(type="str"),
        vpc_id=dict(type="str"),
        instance_id=dict(type="str"),
        private_ip_address=dict(type="str"),
        name_prefix=dict(type="str"),
    )
    KceModule(argument_spec, cloud=True).run(list_enis)


if __name__ == "__main__":
    main()
