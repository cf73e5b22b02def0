#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eni_private_ip
short_description: Assign and unassign secondary private IPs of a KSYUN ENI, and reserve subnet IPs
version_added: 0.1.0
description:
  - Assigns secondary private IPs to an ENI, by name (O(private_ip_addresses)) or by number (O(count)), and
    unassigns them (O(state=absent), or O(purge=true) for the ones not asked for).
  - Reserves subnet IPs or releases their reservation with O(reserved). A reserved IP has
    C(AllocateStatus=specific) in its subnet, so random allocation never hands it out; it can only be taken
    by naming it. Fixed Pod IPs in shared ENI mode are kept this way while their pod is gone.
  - Every named IP is checked before the first change. An IP that is not an IPv4 address, lies outside the
    subnet CIDR or outside its DHCP range, is the network, gateway or broadcast address, is the primary IP
    of the ENI or is held by another ENI is refused. So is a change that would exceed the private IP quota
    of the instance type of the instance the ENI is attached to, and a count the subnet cannot allocate at
    random. Nothing is changed then.
  - "Moving a reserved IP onto an ENI (O(state=present), O(reserved=false), the IP reserved and free) is one
    operation in the safe order: the IP is assigned by naming it, then its reservation is released, so no
    random allocation can take it in between. If the cloud refuses to assign a reserved IP by name, the
    module releases the reservation, assigns the IP right away, and if that assignment fails it reserves
    the IP again. The IP is never left both unreserved and unassigned; if restoring fails too, the error
    says so and names the IP."
  - "Releasing an IP into a reservation (O(state=absent), O(reserved=true)) marks the IP reserved before it
    is unassigned. If the cloud refuses to mark an assigned IP, the module unassigns the IPs one at a time,
    each immediately followed by its reservation; if a reservation fails, the IP is assigned back to the ENI."
  - Without O(network_interface_id), only the reservation of free IPs of O(subnet_id) is managed.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  network_interface_id:
    description:
      - The ENI whose secondary IPs are managed.
      - Leave it out and give O(subnet_id) to reserve or release free IPs of a subnet without an ENI.
    type: str
    aliases: [id, eni_id]
  subnet_id:
    description:
      - The subnet of the IPs. Required without O(network_interface_id); with it, it must be the subnet of the ENI.
    type: str
  private_ip_addresses:
    description:
      - The secondary IPs to assign (O(state=present)) or unassign (O(state=absent)).
      - Cannot be combined with O(count).
    type: list
    elements: str
    aliases: [private_ips]
  count:
    description:
      - The number of secondary IPs the ENI should hold. Missing ones are assigned at random (never a reserved
        IP); with O(purge=true), surplus ones are unassigned, the last listed ones first.
      - Cannot be combined with O(private_ip_addresses) or O(reserved).
    type: int
  purge:
    description:
      - With O(private_ip_addresses), unassign the secondary IPs of the ENI that are not listed.
      - With O(count), unassign secondary IPs beyond O(count).
      - Only with O(state=present).
    type: bool
    default: false
  reserved:
    description:
      - Whether the named IPs are reserved in their subnet (C(AllocateStatus=specific)); leave it out to
        leave reservations as they are.
      - With O(state=present) and V(false), a reserved free IP is moved onto the ENI and its reservation
        released (see the description for the order). With V(true), an IP that is not reserved yet is
        reserved first and then assigned by name, so it stays reserved when it is unassigned later.
      - With O(state=absent) and V(true), the IPs are unassigned into a reservation, and free IPs that are not
        reserved yet are reserved. With V(false), the IPs are unassigned and their reservation is released,
        which returns them to random allocation.
      - Without O(network_interface_id), V(true) reserves free IPs of O(subnet_id) and V(false) releases them.
      - The API has no call that reads the reservation of an IP that is assigned, so the reservation of IPs
        that stay on the ENI is not changed, and such IPs are not reported as reserved. The reservation of a
        free IP is derived from the subnet's list of available addresses (a reserved IP is not listed there).
    type: bool
  state:
    description:
      - V(present) assigns the IPs, V(absent) unassigns them.
      - V(absent) needs O(private_ip_addresses) and O(network_interface_id).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ksyun.kce.ksyun
  - ksyun.kce.ksyun.instance_checks
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads and checks as a real run and predicts C(changed) exactly; it sends no
        mutating call. IPs that O(count) would assign at random are shown as placeholders in the diff.
  diff_mode:
    support: full
    details:
      - The diff shows the secondary IPs of the ENI and the named IPs known to be reserved, before and after.
seealso:
  - module: ksyun.kce.eni
  - module: ksyun.kce.subnet_info
  - module: ksyun.kce.eni_info
"""

EXAMPLES = r"""
- name: Give an ENI exactly these secondary IPs
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    private_ip_addresses: [10.0.0.236, 10.0.0.237]
    purge: true

- name: Make sure the ENI holds 4 secondary IPs, any free ones
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    count: 4

- name: Release a pod's fixed IP from its node's ENI, keeping it reserved for the pod
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    private_ip_addresses: [10.0.0.236]
    state: absent
    reserved: true

- name: Move the reserved IP onto the ENI of the node the pod comes back on
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000048
    private_ip_addresses: [10.0.0.236]
    reserved: false

- name: Reserve a free subnet IP for a pod that does not exist yet
  ksyun.kce.eni_private_ip:
    subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
    private_ip_addresses: [10.0.0.240]
    reserved: true
"""

RETURN = r"""
network_interface:
  description:
    - The ENI after the task (in check mode, as it would be, with placeholders for IPs assigned at random);
      empty without O(network_interface_id). See M(ksyun.kce.eni) for all fields.
  returned: always
  type: dict
  contains:
    id:
      description: The ENI id.
      type: str
    private_ip_address:
      description: The primary private IP.
      type: str
    secondary_private_ip_addresses:
      description: The secondary private IPs.
      type: list
      elements: str
      sample: [10.0.0.236, 10.0.0.237]
subnet_id:
  description: The subnet of the IPs.
  returned: always
  type: str
assigned:
  description: IPs assigned to the ENI by this task (in check mode, that would be; placeholders for random ones).
  returned: always
  type: list
  elements: str
unassigned:
  description: IPs unassigned from the ENI by this task.
  returned: always
  type: list
  elements: str
reserved:
  description: IPs whose reservation this task set (C(AllocateStatus=specific)).
  returned: always
  type: list
  elements: str
released:
  description: IPs whose reservation this task released (C(AllocateStatus=random)).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun_module import (
    INSTANCE_CHECKS_ARGSPEC, KsyunModule, ModuleFailure, api_error_details, check_ip_in_subnet, eni_view, parse_ipv4,
    private_ips, secondary_ips)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, KsyunError, is_in_use

RANDOM_PLACEHOLDER = "(assigned at random)"


class Plan:
    """What the task will do, decided from reads only, so check mode and the real run agree."""

    def __init__(self):
        self.assign = []              # plain assign by name
        self.assign_reserved = []     # reserved free IPs: assign by name, they stay reserved
        self.reserve_then_assign = []  # free unreserved IPs that must stay reserved once assigned
        self.move_reserved = []       # reserved free IPs: assign by name, then release the reservation
        self.assign_count = 0
        self.unassign = []            # plain unassign
        self.unassign_then_release = []  # unassign, then return to random allocation
        self.unassign_into_reservation = []
        self.reserve = []             # free IPs to reserve
        self.release = []             # free IPs whose reservation to release

    @property
    def changed(self):
        return any(getattr(self, k) for k in vars(self))

    def assigned(self):
        return (self.assign + self.assign_reserved + self.reserve_then_assign + self.move_reserved
                + [RANDOM_PLACEHOLDER] * self.assign_count)

    def unassigned(self):
        return self.unassign + self.unassign_then_release + self.unassign_into_reservation

    def reserved(self):
        return self.reserve + self.reserve_then_assign + self.unassign_into_reservation

    def released(self):
        return self.release + self.move_reserved + self.unassign_then_release


class Subnet:
    """The reads about one subnet the decisions need: CIDR, DHCP range, holders, free unreserved IPs."""

    def __init__(self, module, subnet):
        self.module = module
        self.id = subnet["SubnetId"]
        self.cidr = subnet["CidrBlock"]
        self.info = subnet
        self._holders = None
        self._available = None

    def check(self, ip, option="private_ip_addresses"):
        check_ip_in_subnet(ip, self.cidr, self.id, option)
        first, last = self.info.get("DhcpIpFrom"), self.info.get("DhcpIpTo")
        if first and last and not _ip_between(ip, first, last):
            raise ModuleFailure("%s: %s is outside the assignable range %s-%s of subnet %s (the platform keeps the other "
                                "addresses); pick an address in that range" % (option, ip, first, last, self.id))

    def holder(self, ip):
        if self._holders is None:
            self._holders = {}
            for eni in self.module.client.describe_network_interfaces(filters={"subnet-id": self.id}):
                for held in private_ips(eni):
                    self._holders[held] = eni["NetworkInterfaceId"]
        return self._holders.get(ip)

    def is_reserved_free(self, ip):
        """A free IP that the subnet does not list as available is reserved (AllocateStatus=specific)."""
        if self._available is None:
            self._available = set(self.module.client.describe_subnet_available_addresses(self.id, page_size=1000))
        return self.holder(ip) is None and ip not in self._available


def _ip_between(ip, first, last):
    def key(text):
        return tuple(int(part) for part in text.split("."))
    return key(first) <= key(ip) <= key(last)


def _known_reserved(subnet, ips):
    return sorted(ip for ip in ips if subnet.holder(ip) is None and subnet.is_reserved_free(ip))


def plan_named_present(module, eni, subnet, ips):
    params, plan = module.params, Plan()
    current = secondary_ips(eni)
    for ip in ips:
        if ip == eni.get("PrivateIpAddress"):
            raise ModuleFailure("private_ip_addresses: %s is the primary IP of network interface %s; list only secondary IPs" % (
                ip, eni["NetworkInterfaceId"]))
    for ip in ips:
        if ip in current:
            continue
        holder = subnet.holder(ip)
        if holder:
            raise ModuleFailure("private_ip_addresses: %s is already assigned to network interface %s; unassign it there first "
                                "(ksyun.kce.eni_private_ip network_interface_id=%s state=absent)" % (ip, holder, holder))
        is_reserved = params["reserved"] is not None and subnet.is_reserved_free(ip)
        if params["reserved"] is None:
            plan.assign.append(ip)
        elif params["reserved"]:
            (plan.assign_reserved if is_reserved else plan.reserve_then_assign).append(ip)
        else:
            (plan.move_reserved if is_reserved else plan.assign).append(ip)
    if params["purge"]:
        plan.unassign = [ip for ip in current if ip not in ips]
    return plan


def plan_count_present(module, eni, subnet):
    params, plan = module.params, Plan()
    current = secondary_ips(eni)
    if params["count"] > len(current):
        plan.assign_count = params["count"] - len(current)
        free = int(subnet.info.get("RandomAvailableIpNum", plan.assign_count) or 0)
        if free < plan.assign_count:
            raise ModuleFailure("count: subnet %s has %d addresses free for random allocation but %d more are needed for %d secondary "
                                "IPs on network interface %s; lower count, free some addresses, or name reserved ones in "
                                "private_ip_addresses" % (subnet.id, free, plan.assign_count, params["count"], eni["NetworkInterfaceId"]))
    elif params["purge"] and params["count"] < len(current):
        plan.unassign = current[params["count"]:]
    return plan


def plan_named_absent(module, eni, subnet, ips):
    params, plan = module.params, Plan()
    current = secondary_ips(eni)
    for ip in ips:
        if ip == eni.get("PrivateIpAddress"):
            raise ModuleFailure("private_ip_addresses: %s is the primary IP of network interface %s; only secondary IPs can be "
                                "unassigned" % (ip, eni["NetworkInterfaceId"]))
        if ip in current:
            {None: plan.unassign, True: plan.unassign_into_reservation, False: plan.unassign_then_release}[params["reserved"]].append(ip)
        elif params["reserved"] is not None:
            plan_free_reservation(module, plan, subnet, ip)
    return plan


def plan_free_reservation(module, plan, subnet, ip):
    """Reserve or release a named IP that is not on the ENI; IPs held by other ENIs are left alone."""
    holder = subnet.holder(ip)
    if holder:
        module.warn("%s is held by network interface %s, so its reservation was left as it is" % (ip, holder))
        return
    if module.params["reserved"] and not subnet.is_reserved_free(ip):
        plan.reserve.append(ip)
    elif not module.params["reserved"] and subnet.is_reserved_free(ip):
        plan.release.append(ip)


def plan_subnet_only(module, subnet, ips):
    plan = Plan()
    for ip in ips:
        holder = subnet.holder(ip)
        if holder and module.params["reserved"]:
            raise ModuleFailure("private_ip_addresses: %s is assigned to network interface %s; reserve it as it is unassigned with "
                                "network_interface_id=%s state=absent reserved=true" % (ip, holder, holder))
        plan_free_reservation(module, plan, subnet, ip)
    return plan


def check_ip_quota(module, eni, plan):
    """Refuse before any change when the ENI would hold more IPs than its instance's type allows."""
    instance_id = eni.get("InstanceId")
    if not instance_id or not module.params["check_quotas"]:
        return
    total = len(private_ips(eni)) + len(plan.assigned()) - len(plan.unassigned())
    if total <= len(private_ips(eni)):
        return
    instance = module.client.get_instance(instance_id, project_ids=module.params["project_ids"])
    if not instance:
        module.warn("instance %s of network interface %s is not in the searched projects; its IP quota was not checked "
                    "(list its project in project_ids)" % (instance_id, eni["NetworkInterfaceId"]))
        return
    itype = instance.get("InstanceType")
    quota = module.instance_type_quotas([itype]).get(itype)
    if quota and total > quota["private_ips"]:
        raise ModuleFailure(
            "network interface %s would hold %d private IPs but instance type %s of instance %s allows %d per network interface "
            "(the primary IP counts); assign fewer, unassign some with purge, use another ENI, or set check_quotas=false if your "
            "account counts differently" % (eni["NetworkInterfaceId"], total, itype, instance_id, quota["private_ips"]))


def _is_reserved_refusal(err):
    text = ("%s %s" % (err.code, err.message)).lower()
    return isinstance(err, KsyunApiError) and ("reserved" in text or "specific" in text) and not is_in_use(err)


def assign_named(module, eni_id, ips):
    try:
        module.client.assign_private_ips(eni_id, ips)
    except KsyunApiError as err:
        if _is_reserved_refusal(err):
            raise ModuleFailure("%s; set reserved=false to move a reserved IP onto the ENI" % err, **api_error_details(err)) from None
        raise


def move_reserved_onto(module, eni_id, subnet_id, ips):
    """Assign reserved IPs by name, then release the reservation; if the cloud refuses to assign a reserved IP,
    release, assign, and on failure reserve again, so no IP is ever both unassigned and unreserved."""
    client = module.client
    try:
        client.assign_private_ips(eni_id, ips)
    except KsyunApiError as err:
        if not _is_reserved_refusal(err):
            raise
        for ip in ips:
            release_then_assign(module, eni_id, subnet_id, ip)
        return
    for ip in ips:
        try:
            client.release_private_ip_reservation(subnet_id, ip)
        except KsyunError as err:
            raise ModuleFailure("assigned %s to network interface %s, but releasing its reservation failed: %s; the IP is on the ENI "
                                "and still reserved, which is safe (random allocation cannot take it); release it with "
                                "state=absent reserved=false when it is unassigned" % (ip, eni_id, err)) from None


def release_then_assign(module, eni_id, subnet_id, ip):
    client = module.client
    client.release_private_ip_reservation(subnet_id, ip)
    try:
        client.assign_private_ips(eni_id, [ip])
    except KsyunError as err:
        try:
            client.reserve_private_ip(subnet_id, ip)
        except KsyunError as again:
            raise ModuleFailure("released the reservation of %s to assign it to network interface %s, but the assignment failed: %s; "
                                "reserving it again failed too: %s; %s is neither assigned nor reserved: reserve it now with "
                                "ksyun.kce.eni_private_ip subnet_id=%s private_ip_addresses=[%s] reserved=true" % (
                                    ip, eni_id, err, again, ip, subnet_id, ip), private_ip_address=ip) from None
        raise ModuleFailure("could not assign reserved IP %s to network interface %s: %s; its reservation was restored" % (
            ip, eni_id, err), private_ip_address=ip) from None


def reserve_then_assign(module, eni_id, subnet_id, ips):
    """Reserve free IPs, then assign them by name; if the cloud refuses to assign reserved IPs, undo the reservations."""
    client = module.client
    for ip in ips:
        client.reserve_private_ip(subnet_id, ip)
    try:
        client.assign_private_ips(eni_id, ips)
    except KsyunApiError as err:
        for ip in ips:
            client.release_private_ip_reservation(subnet_id, ip)
        if _is_reserved_refusal(err):
            raise ModuleFailure("the cloud refuses to assign reserved IPs (%s), so %s cannot be assigned and stay reserved; their "
                                "reservations were released again; use reserved=false, and reserve the IPs as they are unassigned "
                                "(state=absent reserved=true)" % (err, ", ".join(ips)), **api_error_details(err)) from None
        raise


def unassign_into_reservation(module, eni_id, subnet_id, ips):
    """Reserve each IP before unassigning it; when the cloud refuses to mark an assigned IP, unassign the IPs one at
    a time, each reserved right after, and put an IP back on the ENI if its reservation fails."""
    client = module.client
    marked = []
    for ip in ips:
        try:
            client.reserve_private_ip(subnet_id, ip)
        except KsyunApiError as err:
            if not is_in_use(err):
                raise
            break
        marked.append(ip)
    if marked:
        client.unassign_private_ips(eni_id, marked)
    for ip in [ip for ip in ips if ip not in marked]:
        client.unassign_private_ips(eni_id, [ip])
        try:
            client.reserve_private_ip(subnet_id, ip)
        except KsyunError as err:
            try:
                client.assign_private_ips(eni_id, [ip])
            except KsyunError as again:
                raise ModuleFailure("unassigned %s from network interface %s, but reserving it failed: %s; assigning it back failed "
                                    "too: %s; %s is neither assigned nor reserved: reserve it now with ksyun.kce.eni_private_ip "
                                    "subnet_id=%s private_ip_addresses=[%s] reserved=true" % (
                                        ip, eni_id, err, again, ip, subnet_id, ip), private_ip_address=ip) from None
            raise ModuleFailure("unassigned %s from network interface %s, but reserving it failed: %s; it was assigned back to the "
                                "ENI, run the task again" % (ip, eni_id, err), private_ip_address=ip) from None


def execute(module, eni_id, subnet_id, plan):
    """Unassign first (frees quota), then assign; reservations in the safe orders described in the docs."""
    client = module.client
    if plan.unassign:
        client.unassign_private_ips(eni_id, plan.unassign)
    if plan.unassign_then_release:
        client.unassign_private_ips(eni_id, plan.unassign_then_release)
        for ip in plan.unassign_then_release:
            client.release_private_ip_reservation(subnet_id, ip)
    if plan.unassign_into_reservation:
        unassign_into_reservation(module, eni_id, subnet_id, plan.unassign_into_reservation)
    if plan.assign or plan.assign_reserved:
        assign_named(module, eni_id, plan.assign + plan.assign_reserved)
    if plan.move_reserved:
        move_reserved_onto(module, eni_id, subnet_id, plan.move_reserved)
    if plan.reserve_then_assign:
        reserve_then_assign(module, eni_id, subnet_id, plan.reserve_then_assign)
    if plan.assign_count:
        client.assign_private_ips(eni_id, count=plan.assign_count)
    for ip in plan.reserve:
        client.reserve_private_ip(subnet_id, ip)
    for ip in plan.release:
        client.release_private_ip_reservation(subnet_id, ip)


def view(eni, subnet, named, reserved_known):
    return {
        "network_interface_id": eni["NetworkInterfaceId"] if eni else None,
        "subnet_id": subnet.id,
        "secondary_private_ip_addresses": secondary_ips(eni) if eni else [],
        "reserved_addresses": sorted(ip for ip in named if ip in reserved_known),
    }


def predicted_eni(eni, plan):
    if not eni:
        return None
    gone = set(plan.unassigned())
    kept = [ip for ip in secondary_ips(eni) if ip not in gone]
    return dict(eni, AssignedPrivateIpAddressSet=[{"PrivateIpAddress": ip} for ip in kept + plan.assigned()])


def validate(module):
    params = module.params
    if params["private_ip_addresses"] is not None and params["count"] is not None:
        raise ModuleFailure("private_ip_addresses (%s) and count (%d) exclude each other: name the IPs to assign, or give count "
                            "to have that many assigned at random" % (", ".join(params["private_ip_addresses"]), params["count"]))
    if params["count"] is not None and params["reserved"] is not None:
        raise ModuleFailure("reserved applies to named IPs, not to count (%d) random ones: list the IPs in private_ip_addresses "
                            "or leave reserved out" % params["count"])
    if params["count"] is not None and params["count"] < 0:
        raise ModuleFailure("count must not be negative, got %d" % params["count"])
    if params["state"] == "absent" and params["purge"]:
        raise ModuleFailure("purge: only with state=present; with state=absent list the IPs to unassign in private_ip_addresses")
    if not params["network_interface_id"]:
        if params["reserved"] is None or not params["private_ip_addresses"] or params["state"] != "present":
            raise ModuleFailure("without network_interface_id only the reservation of subnet IPs is managed: give subnet_id, "
                                "private_ip_addresses and reserved (state=present), or give network_interface_id")
    if params["network_interface_id"] and params["count"] is None and params["private_ip_addresses"] is None:
        raise ModuleFailure("give private_ip_addresses (the IPs) or count (how many) for network interface %s" % params["network_interface_id"])
    ips = []
    for value in params["private_ip_addresses"] or []:
        ip = parse_ipv4(value, "private_ip_addresses")
        if ip not in ips:
            ips.append(ip)
    return ips


def ensure(module):
    params = module.params
    ips = validate(module)
    eni = None
    if params["network_interface_id"]:
        eni = module.require_eni(params["network_interface_id"])
        if params["subnet_id"] and params["subnet_id"] != eni.get("SubnetId"):
            raise ModuleFailure("subnet_id: network interface %s is in subnet %s, not %s; leave subnet_id out or fix it" % (
                eni["NetworkInterfaceId"], eni.get("SubnetId"), params["subnet_id"]))
    subnet = Subnet(module, module.require_subnet(eni["SubnetId"] if eni else params["subnet_id"]))
    for ip in ips:
        subnet.check(ip)
    if not eni:
        plan = plan_subnet_only(module, subnet, ips)
    elif params["state"] == "absent":
        plan = plan_named_absent(module, eni, subnet, ips)
    elif params["count"] is not None:
        plan = plan_count_present(module, eni, subnet)
    else:
        plan = plan_named_present(module, eni, subnet, ips)
    if eni:
        check_ip_quota(module, eni, plan)
    reserved_before = set(_known_reserved(subnet, ips)) if params["reserved"] is not None else set()
    before = view(eni, subnet, ips, reserved_before)
    summary = {"assigned": plan.assigned(), "unassigned": plan.unassigned(), "reserved": plan.reserved(), "released": plan.released()}
    if not plan.changed:
        return module.result(False, before, before, network_interface=eni_view(eni), subnet_id=subnet.id, **summary)
    reserved_after = (reserved_before | set(plan.reserved())) - set(plan.released())
    if module.check_mode:
        planned = predicted_eni(eni, plan)
        return module.result(True, before, view(planned, subnet, ips, reserved_after), network_interface=eni_view(planned),
                             subnet_id=subnet.id, **summary)
    execute(module, eni["NetworkInterfaceId"] if eni else None, subnet.id, plan)
    if eni:
        eni = module.client.get_network_interface(eni["NetworkInterfaceId"]) or eni
        summary["assigned"] = [ip for ip in secondary_ips(eni) if ip not in before["secondary_private_ip_addresses"]]
    return module.result(True, before, view(eni, subnet, ips, reserved_after), network_interface=eni_view(eni), subnet_id=subnet.id,
                         **summary)


def main():
    argument_spec = dict(
        network_interface_id=dict(type="str", aliases=["id", "eni_id"]),
        subnet_id=dict(type="str"),
        private_ip_addresses=dict(type="list", elements="str", aliases=["private_ips"]),
        count=dict(type="int"),
        purge=dict(type="bool", default=False),
        reserved=dict(type="bool"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **INSTANCE_CHECKS_ARGSPEC
    )
    module = KsyunModule(
        argument_spec,
        required_one_of=[["network_interface_id", "subnet_id"]],
        required_if=[("state", "absent", ["private_ip_addresses"])],
        supports_check_mode=True,
    )
    module.run(ensure)


if __name__ == "__main__":
    main()
