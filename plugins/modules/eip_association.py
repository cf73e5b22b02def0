#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eip_association
short_description: Associate a KSYUN elastic public IP with an ENI's private IP, or disassociate it
version_added: 0.1.0
description:
  - Associates an elastic public IP (EIP) with the primary or a secondary private IP of an ENI (the API's
    C(AssociateAddress) with C(InstanceType=Ipfwd)), so a fixed-IP pod can be reached from, and reach, the internet;
    or disassociates it.
  - Everything that can be checked by reading is checked before the change, and nothing is changed when a check
    fails, for example an unknown EIP or ENI, a private IP that is not on the ENI, a detached ENI, an EIP associated
    elsewhere, or a private IP that already carries another EIP.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  allocation_id:
    description:
      - The id of the EIP (M(ksyun.kce.eip) returns it as RV(ksyun.kce.eip#module:address.allocation_id)).
    type: str
    required: true
    aliases: [id]
  network_interface_id:
    description:
      - The ENI whose private IP gets the EIP. It must be attached to an instance, because the API associates through
        the instance the ENI is attached to.
      - Required with O(state=present). With O(state=absent), the EIP is only disassociated when it is associated with
        this ENI (and O(private_ip_address), when given); an EIP associated elsewhere is left as it is.
    type: str
    aliases: [eni_id]
  private_ip_address:
    description:
      - The private IP of O(network_interface_id) to associate, its primary or one of its secondary IPs (a shared-mode
        pod's IP). The primary IP of the ENI when left out.
    type: str
  allow_reassociation:
    description:
      - With O(state=present), move an EIP that is associated with another private IP, that is disassociate it there,
        then associate it here.
      - Without it such an EIP is refused, naming where it is associated, and nothing changes.
    type: bool
    default: false
  state:
    description:
      - V(present) associates the EIP, V(absent) disassociates it.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description:
      - Seconds to wait for an attachment or detachment of the ENI that is in progress to finish.
    type: int
    default: 300
notes:
  - When a private IP leaves its ENI (unassigned, or the ENI detached or deleted), whether the association drops or
    follows the IP is not documented; the collection assumes it drops, and M(ksyun.kce.eip_info) shows where each EIP
    is associated now. Run this module again to put it back.
extends_documentation_fragment:
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads as a real run and predicts C(changed) exactly; it sends no mutating call.
  diff_mode:
    support: full
seealso:
  - module: ksyun.kce.eip
  - module: ksyun.kce.eip_info
  - module: ksyun.kce.eni_private_ip
"""

EXAMPLES = r"""
- name: Give the shared-mode pod IP 10.0.0.236 its public IP
  ksyun.kce.eip_association:
    allocation_id: "{{ eip.address.allocation_id }}"
    network_interface_id: "{{ holder.network_interfaces[0].id }}"
    private_ip_address: 10.0.0.236

- name: The pod's IP moved to another ENI; move the EIP with it
  ksyun.kce.eip_association:
    allocation_id: "{{ eip.address.allocation_id }}"
    network_interface_id: "{{ new_holder.network_interfaces[0].id }}"
    private_ip_address: 10.0.0.236
    allow_reassociation: true

- name: Disassociate it (the EIP is kept)
  ksyun.kce.eip_association:
    allocation_id: "{{ eip.address.allocation_id }}"
    state: absent
"""

RETURN = r"""
actions:
  description: The API changes, in order, that the task made (in check mode, would make).
  returned: always
  type: list
  elements: str
  sample: ["associate elastic IP 3f0f7d3e-8d0c-4c1e-9b7c-0d5f1c6a2b10 with 10.0.0.236 of ENI ... (instance ...)"]
address:
  description: The EIP after the task (in check mode, as it would be). See M(ksyun.kce.eip) for its fields.
  returned: always
  type: dict
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import AssociateEip, DisassociateEip
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import WAIT_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_positive, parse_ipv4
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import (
    apply_plan,
    require_address,
    require_eni,
    settle,
)


def managed(eip):
    return {k: v for k, v in eip.view().items() if k != "create_time"} if eip is not None else {}


def outcome(module, plan, eip):
    cloud = CloudSnapshot(addresses=(eip,))

    def after(snapshot, _result):
        now = snapshot.address(eip.allocation_id)
        return module.result(bool(plan.actions), managed(eip), managed(now), address=now.view() if now else {})

    def reread(_result):
        found = module.reader.address(eip.allocation_id)
        return CloudSnapshot(addresses=(found,) if found else ())

    return apply_plan(module, plan, cloud, after, reread)


def target(module):
    """(eni, private IP) to associate with, checked: the ENI exists and is attached, the IP is on it."""
    params = module.params
    eni = settle(module, require_eni(module, params["network_interface_id"]))
    if eni is None:
        raise ModuleError(
            "network_interface_id: network interface %s was deleted while this task ran"
            % params["network_interface_id"]
        )
    ip = params["private_ip_address"] or eni.primary_ip
    if not eni.holds(ip):
        raise ModuleError(
            "private_ip_address: %s is not on network interface %s (it holds %s); assign it first with "
            "ksyun.kce.eni_private_ip, or name one of the ENI's IPs" % (ip, eni.eni_id, ", ".join(eni.private_ips))
        )
    if not eni.instance_id:
        raise ModuleError(
            "network_interface_id: network interface %s is detached; an EIP is associated through the instance its ENI "
            "is attached to, so attach it first (ksyun.kce.eni_attachment)" % eni.eni_id
        )
    return eni, ip


def associate(module, eip):
    eni, ip = target(module)
    if eip.bound_to(eni.eni_id, ip):
        return outcome(module, Plan(()), eip)
    on_eni = module.reader.addresses(filters={"network-interface-id": eni.eni_id})
    other = next((o for o in on_eni if o.allocation_id != eip.allocation_id and o.bound_to(eni.eni_id, ip)), None)
    if other is not None:
        raise ModuleError(
            "private_ip_address: %s of network interface %s already has elastic IP %s (%s); disassociate that one first "
            "with ksyun.kce.eip_association allocation_id=%s state=absent"
            % (ip, eni.eni_id, other.allocation_id, other.public_ip, other.allocation_id)
        )
    actions = ()
    if eip.associated:
        if not module.params["allow_reassociation"]:
            raise ModuleError(
                "allocation_id: elastic IP %s (%s) is associated with %s; set allow_reassociation=true to move it to %s "
                "of network interface %s, or disassociate it first"
                % (eip.allocation_id, eip.public_ip, eip.target(), ip, eni.eni_id),
                network_interface_id=eip.eni_id or None,
            )
        actions = (DisassociateEip(eip.allocation_id, eip.target()),)
    actions += (AssociateEip(eip.allocation_id, eni.instance_id, eni.eni_id, ip),)
    return outcome(module, Plan(actions), eip)


def disassociate(module, eip):
    params = module.params
    if not eip.associated:
        return outcome(module, Plan(()), eip)
    wanted_eni, wanted_ip = params["network_interface_id"], params["private_ip_address"]
    if (wanted_eni and eip.eni_id != wanted_eni) or (wanted_ip and eip.private_ip != wanted_ip):
        module.warn(
            "elastic IP %s (%s) is associated with %s, not the one given; it was left as it is"
            % (eip.allocation_id, eip.public_ip, eip.target())
        )
        return outcome(module, Plan(()), eip)
    return outcome(module, Plan((DisassociateEip(eip.allocation_id, eip.target()),)), eip)


def ensure(module):
    params = module.params
    if params["private_ip_address"]:
        params["private_ip_address"] = parse_ipv4(params["private_ip_address"], "private_ip_address")
    check_positive("wait_timeout", params["wait_timeout"])
    if params["state"] == "absent":
        eip = module.reader.address(params["allocation_id"])
        if eip is None:
            module.warn(
                "elastic IP %s does not exist in region %s; nothing to disassociate"
                % (params["allocation_id"], module.reader.region)
            )
            return module.result(False, {}, {}, address={}, actions=[])
        return disassociate(module, eip)
    return associate(module, require_address(module, params["allocation_id"]))


def main():
    argument_spec = dict(
        allocation_id=dict(type="str", required=True, aliases=["id"]),
        network_interface_id=dict(type="str", aliases=["eni_id"]),
        private_ip_address=dict(type="str"),
        allow_reassociation=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **WAIT_ARGS,
    )
    module = KceModule(argument_spec, cloud=True, required_if=[["state", "present", ["network_interface_id"]]])
    module.run(ensure)


if __name__ == "__main__":
    main()
