# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the cloud modules share: lookups that name the option, checks made before any change, and running a plan.

Every changing cloud module goes the same way: its options → a snapshot from the read model
(module.reader) → a Plan of the domain's actions (their describe() is what check mode reports) →
apply_plan, which runs it with the one executor and its compensation, or only previews it in check mode.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preview import preview
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import (
    enis_counted,
    ip_quota_text,
    ip_room,
    ips_counted,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EipSnapshot,
    EniSnapshot,
    SubnetSnapshot,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import ExecutionResult, execute_plan
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import error_text
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunGoneError, KsyunTimeoutError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import Instance, eni_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.waiter import settled, wait_for_eni
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError, api_error_details

NORMAL_SUBNET = "Normal"


def require_eni(module: KceModule, eni_id: str, option: str = "network_interface_id") -> EniSnapshot:
    eni = module.reader.eni(eni_id)
    if eni is None:
        raise ModuleError(
            "%s: network interface %s does not exist in region %s; check the id (ksyun.kce.eni_info lists ENIs)"
            % (option, eni_id, module.reader.region)
        )
    return eni


def require_address(module: KceModule, allocation_id: str, option: str = "allocation_id") -> EipSnapshot:
    eip = module.reader.address(allocation_id)
    if eip is None:
        raise ModuleError(
            "%s: elastic IP %s does not exist in region %s; check the id (ksyun.kce.eip_info lists the EIPs), or allocate "
            "one with ksyun.kce.eip" % (option, allocation_id, module.reader.region)
        )
    return eip


def named_address(module: KceModule, name: str, option: str = "name") -> Optional[EipSnapshot]:
    """The one EIP the collection named name (one paged describe with tags); several are refused."""
    named = [eip for eip in module.reader.addresses() if eip.name == name]
    if len(named) > 1:
        raise ModuleError(
            "%s: %d elastic IPs are named %r (%s); give allocation_id to pick one"
            % (option, len(named), name, ", ".join(eip.allocation_id for eip in named))
        )
    return named[0] if named else None


def require_subnet(
    module: KceModule, subnet_id: str, option: str = "subnet_id", cloud: Optional[CloudSnapshot] = None
) -> SubnetSnapshot:
    """The subnet, from cloud when it was read already (no second DescribeSubnets)."""
    subnet = cloud.subnet(subnet_id) if cloud is not None else module.reader.subnet(subnet_id)
    if subnet is None:
        raise ModuleError(
            "%s: subnet %s does not exist in region %s; check the id (ksyun.kce.subnet_info lists the subnets)"
            % (option, subnet_id, module.reader.region)
        )
    return subnet


def require_instance(module: KceModule, instance_id: str, option: str = "instance_id") -> Instance:
    projects = module.params.get("project_ids")
    instance = module.reader.instance(instance_id, project_ids=projects)
    if instance is None:
        raise ModuleError(
            "%s: instance %s does not exist in region %s (searched projects %s); check the id, or list its project in "
            "project_ids" % (option, instance_id, module.reader.region, ", ".join(str(p) for p in projects or [0]))
        )
    return instance


def require_security_groups(
    module: KceModule, group_ids: Sequence[str], vpc_id: str, option: str = "security_groups"
) -> None:
    """All groups exist and are in vpc_id (one describe call for all of them)."""
    found = module.reader.security_groups(group_ids)
    missing = [g for g in group_ids if g not in found]
    if missing:
        raise ModuleError(
            "%s: security group %s does not exist in region %s; check the ids"
            % (option, ", ".join(missing), module.reader.region)
        )
    elsewhere = [g for g in group_ids if found[g].get("VpcId") != vpc_id]
    if elsewhere:
        raise ModuleError(
            "%s: security group %s is not in VPC %s of the subnet; use groups of that VPC"
            % (option, ", ".join(elsewhere), vpc_id)
        )


def check_ip_in_subnet(ip: str, subnet: SubnetSnapshot, option: str) -> str:
    """Refuse an address outside the subnet CIDR or its DHCP range, or one no ENI can hold (network, gateway, broadcast)."""
    if not subnet.contains(ip):
        raise ModuleError(
            "%s: %s is outside subnet %s (CIDR %s); pick an address inside %s"
            % (option, ip, subnet.subnet_id, subnet.cidr, subnet.cidr)
        )
    if subnet.is_special(ip):
        raise ModuleError(
            "%s: %s is the network, gateway or broadcast address of subnet %s (CIDR %s); pick another address"
            % (option, ip, subnet.subnet_id, subnet.cidr)
        )
    if not subnet.in_range(ip):
        raise ModuleError(
            "%s: %s is outside the assignable range %s-%s of subnet %s (the platform keeps the other addresses); pick an "
            "address in that range" % (option, ip, subnet.first_ip, subnet.last_ip, subnet.subnet_id)
        )
    return ip


def refuse_primary(eni: EniSnapshot, what: str) -> None:
    if eni.is_primary:
        raise ModuleError(
            "network interface %s is the primary interface of instance %s; a primary ENI cannot be %s"
            % (eni.eni_id, eni.instance_id, what)
        )


def on_instance(module: KceModule, instance: Instance) -> CloudSnapshot:
    """The ENIs attached to the instance now (one paged describe), for the quota checks."""
    return CloudSnapshot(enis=tuple(module.reader.enis(filters={"instance-id": instance.instance_id})))


def check_attachable(module: KceModule, eni: EniSnapshot, instance: Instance) -> None:
    """Refuse, before any call, an attachment the cloud would refuse: another zone or VPC, or a quota it would exceed."""
    refuse_primary(eni, "attached, detached or deleted")
    if eni.zone and instance.zone and eni.zone != instance.zone:
        raise ModuleError(
            "subnet %s of network interface %s is in zone %s but instance %s is in zone %s; use an ENI in a subnet of zone %s"
            % (eni.subnet_id, eni.eni_id, eni.zone, instance.instance_id, instance.zone, instance.zone)
        )
    if eni.vpc_id and instance.vpc_id and eni.vpc_id != instance.vpc_id:
        raise ModuleError(
            "network interface %s is in VPC %s but instance %s is in VPC %s; use an ENI of VPC %s"
            % (eni.eni_id, eni.vpc_id, instance.instance_id, instance.vpc_id, instance.vpc_id)
        )
    if not module.params.get("check_quotas", True) or not instance.has_quotas:
        return
    behaviour, node = module.behaviour, instance.node()
    cloud = on_instance(module, instance)
    others = CloudSnapshot(enis=tuple(e for e in cloud.enis if e.eni_id != eni.eni_id))
    used = enis_counted(node, others, behaviour)
    if used + 1 > node.eni_quota:
        raise ModuleError(
            "instance %s (type %s) already has %d of %d network interfaces%s; detach one, use an instance of a larger type, "
            "or set check_quotas=false if your account counts differently"
            % (
                instance.instance_id,
                instance.instance_type,
                used,
                node.eni_quota,
                " (the primary one counts)" if behaviour.eni_quota_counts_primary else "",
            )
        )
    if ip_room(node, others, behaviour, eni) < 0:
        raise ModuleError(
            "network interface %s holds %d private IPs but %s; unassign some first with ksyun.kce.eni_private_ip"
            % (eni.eni_id, ips_counted(eni, behaviour), ip_quota_text(node, behaviour))
        )


def check_ip_room(module: KceModule, eni: EniSnapshot, adding: int) -> None:
    """Refuse before any change adding IPs beyond the IP quota of the type of the instance the ENI is attached to."""
    if adding <= 0 or not eni.instance_id or not module.params.get("check_quotas", True):
        return
    instance = module.reader.instance(eni.instance_id, project_ids=module.params.get("project_ids"))
    if instance is None or not instance.has_quotas:
        module.warn(
            "instance %s of network interface %s is not in the searched projects; its IP quota was not checked (list its "
            "project in project_ids)" % (eni.instance_id, eni.eni_id)
        )
        return
    behaviour, node = module.behaviour, instance.node()
    cloud = on_instance(module, instance) if behaviour.ip_quota_per_instance else CloudSnapshot(enis=(eni,))
    room = ip_room(node, cloud, behaviour, eni)
    if adding > room:
        raise ModuleError(
            "network interface %s would hold %d private IPs but %s (instance %s); assign fewer, unassign some with purge, use "
            "another ENI, or set check_quotas=false if your account counts differently"
            % (eni.eni_id, ips_counted(eni, behaviour) + adding, ip_quota_text(node, behaviour), instance.instance_id)
        )


def failed_message(result: ExecutionResult) -> str:
    """One line: what failed and why, what was done before, and what the compensation did or left open."""
    parts = ["could not %s: %s" % (result.failed, error_text(result.error))]
    if result.done:
        parts.append("done before it: %s" % "; ".join(result.done))
    if result.undone:
        parts.append(result.undone)
    if result.left_open:
        parts.append(result.left_open)
    return "; ".join(parts)


def apply_plan(
    module: KceModule,
    plan: Plan,
    cloud: CloudSnapshot,
    after: Callable[[CloudSnapshot, ExecutionResult], Dict[str, Any]],
    reread: Optional[Callable[[ExecutionResult], CloudSnapshot]] = None,
    settle_last: bool = True,
) -> Dict[str, Any]:
    """Run plan (check mode: preview it on cloud), then return after(cloud as it is now, result) plus actions.

    reread(result): the snapshot after a real run (the ENIs the plan touched, read again); failures raise a
    ModuleError whose message says what was done and what the compensation undid or left open.
    """
    if module.check_mode:
        result = execute_plan(plan, module.client, None, {}, check_mode=True)
        return dict(after(preview(cloud, plan.actions), result), actions=list(result.done))
    result = execute_plan(
        plan,
        module.client,
        None,
        {},
        compensate=True,
        eni_wait_timeout=module.params.get("wait_timeout") or 300,
        eni_wait_interval=None,
        settle_last=settle_last,
    )
    if not result.ok:
        raise ModuleError(failed_message(result), actions=list(result.done), **api_error_details(result.error))
    now = reread(result) if reread is not None and plan.actions else cloud
    return dict(after(now, result), actions=list(result.done))


def settle(module: KceModule, eni: EniSnapshot) -> Optional[EniSnapshot]:
    """The ENI once any attach or detach in flight has finished (None if it was deleted meanwhile); no wait if it is settled."""
    if not eni.is_transient:
        return eni
    try:
        return eni_snapshot(wait_for_eni(module.client, eni.eni_id, settled, module.params.get("wait_timeout") or 300))
    except KsyunGoneError:
        return None
    except KsyunTimeoutError as err:
        raise ModuleError("%s; raise wait_timeout or retry later" % err) from None
