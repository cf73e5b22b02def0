#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eip_info
short_description: List KSYUN elastic public IPs (EIPs) and what they are associated with
version_added: 0.1.0
description:
  - Lists the EIPs of a region with their names (the tag the collection sets) and the ENI, instance and private IP
    each is associated with, filtered by id, public IP, ENI, name or state.
  - All pages are read with one paged describe that includes the tags; there is no call per EIP.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  allocation_ids:
    description:
      - Only these EIPs.
    type: list
    elements: str
    aliases: [ids]
  public_ips:
    description:
      - Only the EIPs with these public IPs.
    type: list
    elements: str
  network_interface_id:
    description:
      - Only the EIPs associated with this ENI.
    type: str
  private_ip_address:
    description:
      - Only the EIPs associated with this private IP.
    type: str
  name:
    description:
      - Only the EIPs the collection named so.
    type: str
  state:
    description:
      - Only associated (V(associate)) or free (V(disassociate)) EIPs.
    type: str
    choices: [associate, disassociate]
extends_documentation_fragment:
  - ksyun.kce.ksyun.read_only
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
seealso:
  - module: ksyun.kce.eip
  - module: ksyun.kce.eip_association
"""

EXAMPLES = r"""
- name: Which EIP does the pod IP 10.0.0.236 have?
  ksyun.kce.eip_info:
    private_ip_address: 10.0.0.236
  register: pod_eip

- name: The EIPs nobody uses
  ksyun.kce.eip_info:
    state: disassociate
"""

RETURN = r"""
addresses:
  description: The matching EIPs, sorted by allocation id. See M(ksyun.kce.eip) for the meaning of each field.
  returned: always
  type: list
  elements: dict
  contains:
    allocation_id:
      description: The EIP id.
      type: str
    public_ip:
      description: The public IP.
      type: str
    name:
      description: The name the collection gave it; empty when it has none.
      type: str
    state:
      description: V(associate) or V(disassociate).
      type: str
    network_interface_id:
      description: The ENI it is associated with, V(null) when it is not.
      type: str
    instance_id:
      description: The instance of that ENI, V(null) when it is not associated.
      type: str
    private_ip_address:
      description: The private IP it is associated with, V(null) when it is not.
      type: str
    band_width:
      description: The bandwidth in Mbps.
      type: int
    line_id:
      description: The line of the EIP.
      type: str
    charge_type:
      description: How it is billed.
      type: str
    project_id:
      description: Its project.
      type: str
    create_time:
      description: When it was allocated.
      type: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import parse_ipv4


def list_addresses(module):
    params = module.params
    ip = parse_ipv4(params["private_ip_address"], "private_ip_address") if params["private_ip_address"] else None
    filters = {}
    if params["public_ips"]:
        filters["public-ip"] = [parse_ipv4(p, "public_ips") for p in params["public_ips"]]
    if params["network_interface_id"]:
        filters["network-interface-id"] = params["network_interface_id"]
    found = module.reader.addresses(params["allocation_ids"], filters=filters, state=params["state"])
    found = [
        eip
        for eip in found
        if (not ip or eip.private_ip == ip) and (params["name"] is None or eip.name == params["name"])
    ]
    return {"changed": False, "addresses": [eip.view() for eip in found]}


def main():
    argument_spec = dict(
        allocation_ids=dict(type="list", elements="str", aliases=["ids"]),
        public_ips=dict(type="list", elements="str"),
        network_interface_id=dict(type="str"),
        private_ip_address=dict(type="str"),
        name=dict(type="str"),
        state=dict(type="str", choices=["associate", "disassociate"]),
    )
    KceModule(argument_spec, cloud=True).run(list_addresses)


if __name__ == "__main__":
    main()
