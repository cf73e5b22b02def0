#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eip
short_description: Allocate and release KSYUN elastic public IPs (EIPs)
version_added: 0.1.0
description:
  - Allocates an elastic public IP (EIP) of the Kingsoft Cloud EIP service, names it, and releases it.
  - The EIP is found by O(allocation_id), or by O(name). EIPs have no name of their own, so the name is a tag
    the collection sets (key C(ksyun-kce-name), through the tag service) right after allocating; an EIP is found by
    its name with one paged describe that includes the tags. A name that several EIPs carry is refused.
  - A new EIP that cannot be named is released again, so a failed task leaves no unnamed EIP behind (a rerun would
    allocate a second one); if even that release fails, the error names the EIP that is left.
  - Associating an EIP with a pod's IP is M(ksyun.kce.eip_association); listing EIPs M(ksyun.kce.eip_info).
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  allocation_id:
    description:
      - The id of an existing EIP.
      - Without it the EIP is looked up by O(name), and allocated when no EIP has that name.
    type: str
    aliases: [id]
  name:
    description:
      - The name of the EIP, kept in its tag C(ksyun-kce-name), for example V(kcefip_prod_shop_db-0) for the EIP of
        pod shop/db-0 of cluster prod. Names are free-form text of at most 255 characters.
      - Required when O(allocation_id) is not given. With O(allocation_id), a different name renames the EIP.
    type: str
  band_width:
    description:
      - The bandwidth of a new EIP in Mbps. Required to allocate one.
      - The bandwidth of an existing EIP is not changed by this module; a different value is refused.
    type: int
  line_id:
    description:
      - The line (C(LineId)) of a new EIP; the region's default line when left out.
      - An existing EIP on another line is refused.
    type: str
  charge_type:
    description:
      - How a new EIP is billed (the API's C(ChargeType)); the API's default when left out.
      - V(Monthly) needs O(purchase_time).
    type: str
    choices: [Monthly, Peak, Daily, TrafficMonthly, DailyPaidByTransfer, HourlyInstantSettlement]
  purchase_time:
    description:
      - Months to buy, for O(charge_type=Monthly).
    type: int
  project_id:
    description:
      - The project of a new EIP; the default project when left out.
    type: str
  state:
    description:
      - V(present) allocates (or renames) the EIP, V(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  force_disassociate:
    description:
      - With O(state=absent), disassociate an associated EIP first, then release it.
      - Without it an associated EIP is not released and the task fails, naming what it is associated with, because
        its public IP may be in someone's allow-list.
    type: bool
    default: false
notes:
  - Releasing an EIP gives its public IP back to the cloud; it cannot be had again. Fixed Pod IP EIPs are kept when a
    pod goes; M(ksyun.kce.eip_info) shows which ENI and private IP an EIP is associated with.
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
  - module: ksyun.kce.eip_association
  - module: ksyun.kce.eip_info
"""

EXAMPLES = r"""
- name: An EIP for the fixed-IP pod shop/db-0 of cluster prod (allocated once, found by its name afterwards)
  ksyun.kce.eip:
    name: kcefip_prod_shop_db-0
    band_width: 5
    charge_type: Daily
  register: eip

- name: Release it, disassociating it first
  ksyun.kce.eip:
    allocation_id: "{{ eip.address.allocation_id }}"
    state: absent
    force_disassociate: true
"""

RETURN = r"""
actions:
  description: The API changes, in order, that the task made (in check mode, would make).
  returned: always
  type: list
  elements: str
  sample: ["allocate an elastic IP of 5 Mbps (Daily) as <new-eip.allocation_id>"]
address:
  description:
    - The EIP after the task; empty after O(state=absent).
    - In check mode, the EIP as it would be; values only the cloud can choose, such as the id and public IP of an EIP
      not allocated yet, read like V(<new-eip.allocation_id>).
  returned: always
  type: dict
  contains:
    allocation_id:
      description: The EIP id.
      type: str
      sample: 3f0f7d3e-8d0c-4c1e-9b7c-0d5f1c6a2b10
    public_ip:
      description: The public IP.
      type: str
      sample: 198.51.100.1
    name:
      description: The name the collection gave it (tag C(ksyun-kce-name)); empty when it has none.
      type: str
    state:
      description: V(associate) or V(disassociate), as the API says.
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

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AllocateEip,
    DisassociateEip,
    NameEip,
    ReleaseEip,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_EIP, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import EIP_ALLOCATION_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_positive
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import apply_plan, named_address, require_address

# What a user manages on an EIP: the diff leaves out the time it was allocated.
UNMANAGED = ("create_time",)


def managed(eip):
    return {k: v for k, v in eip.view().items() if k not in UNMANAGED} if eip is not None else {}


def find_address(module):
    params = module.params
    if params["allocation_id"]:
        if params["state"] == "absent":
            return module.reader.address(params["allocation_id"])
        return require_address(module, params["allocation_id"])
    return named_address(module, params["name"])


def outcome(module, plan, cloud, allocation_id):
    """Run the plan and return the EIP as it is (would be) afterwards."""

    def after(snapshot, result):
        made = result.created.get(NEW_EIP)
        now = snapshot.address(made.allocation_id if made else str(allocation_id))
        return module.result(
            bool(plan.actions),
            managed(cloud.address(str(allocation_id))),
            managed(now),
            address=now.view() if now else {},
        )

    def reread(result):
        made = result.created.get(NEW_EIP)
        found = module.reader.address(made.allocation_id if made else allocation_id)
        return CloudSnapshot(addresses=(found,) if found else ())

    return apply_plan(module, plan, cloud, after, reread)


def allocate(module):
    params = module.params
    if params["band_width"] is None:
        raise ModuleError(
            "band_width: no elastic IP is named %r, and allocating one needs its bandwidth in Mbps; give band_width"
            % params["name"]
        )
    if params["charge_type"] == "Monthly" and not params["purchase_time"]:
        raise ModuleError("purchase_time: charge_type=Monthly needs the number of months to buy in purchase_time")
    actions = (
        AllocateEip(
            NEW_EIP,
            params["band_width"],
            params["line_id"],
            params["charge_type"],
            params["project_id"],
            params["purchase_time"],
        ),
        NameEip(Ref(NEW_EIP, "allocation_id"), params["name"]),
    )
    return outcome(module, Plan(actions), CloudSnapshot(), Ref(NEW_EIP, "allocation_id"))


def refuse_unchangeable(params, eip):
    for option, have in (("band_width", eip.band_width), ("line_id", eip.line_id), ("charge_type", eip.charge_type)):
        if params[option] is not None and params[option] != have:
            raise ModuleError(
                "%s: elastic IP %s (%s) has %s %s, not %s; this module does not change it, so give the current value or "
                "leave %s out" % (option, eip.allocation_id, eip.public_ip, option, have, params[option], option)
            )


def update(module, eip):
    params = module.params
    refuse_unchangeable(params, eip)
    actions = ()
    if params["name"] is not None and params["name"] != eip.name:
        actions = (NameEip(eip.allocation_id, params["name"]),)
    return outcome(module, Plan(actions), CloudSnapshot(addresses=(eip,)), eip.allocation_id)


def release(module, eip):
    if eip is None:
        return module.result(False, {}, {}, address={}, actions=[])
    actions = (ReleaseEip(eip.allocation_id),)
    if eip.associated:
        if not module.params["force_disassociate"]:
            raise ModuleError(
                "elastic IP %s (%s) is associated with %s; disassociate it first with ksyun.kce.eip_association "
                "state=absent, or set force_disassociate=true to disassociate and release it in one task"
                % (eip.allocation_id, eip.public_ip, eip.target()),
                network_interface_id=eip.eni_id or None,
            )
        actions = (DisassociateEip(eip.allocation_id, eip.target()),) + actions
    return outcome(module, Plan(actions), CloudSnapshot(addresses=(eip,)), eip.allocation_id)


def ensure(module):
    params = module.params
    check_positive("band_width", params["band_width"], 1)
    check_positive("purchase_time", params["purchase_time"], 1)
    if params["name"] is not None and not 0 < len(params["name"]) <= 255:
        raise ModuleError(
            "name: an EIP name is a tag value of 1 to 255 characters, got %d; use a shorter name" % len(params["name"])
        )
    eip = find_address(module)
    if params["state"] == "absent":
        return release(module, eip)
    if eip is None:
        return allocate(module)
    return update(module, eip)


def main():
    argument_spec = dict(
        allocation_id=dict(type="str", aliases=["id"]),
        name=dict(type="str"),
        **EIP_ALLOCATION_ARGS,
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force_disassociate=dict(type="bool", default=False),
    )
    module = KceModule(argument_spec, cloud=True, required_one_of=[["allocation_id", "name"]])
    module.run(ensure)


if __name__ == "__main__":
    main()
