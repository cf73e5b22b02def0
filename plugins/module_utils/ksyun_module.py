# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every KSYUN cloud module: one argument spec, one client, readable failures, check-mode safety.

``KsyunModule(argument_spec, ...)`` wraps AnsibleModule with the options of the ``ksyun.kce.ksyun`` doc
fragment; ``module.run(func)`` calls ``func(module)`` and turns its dict into exit_json, a ``ModuleFailure``
(a mistake the user can fix) or a client error into fail_json. Shared lookups and checks live here too, so
every module refuses bad input with the same words before it changes anything.
"""

from __future__ import annotations

import ipaddress
import time

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import (
    HAS_KSYUN_SDK, KSYUN_SDK_IMPORT_TRACEBACK, SDK_PACKAGE, KsyunClient)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.core import WRITE_ACTIONS
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    KsyunApiError, KsyunError, KsyunTimeoutError, is_not_found)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

KSYUN_COMMON_ARGSPEC = {
    "access_key_id": {"type": "str", "no_log": False, "fallback": (env_fallback, ["KSYUN_ACCESS_KEY_ID"])},
    "secret_access_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["KSYUN_SECRET_ACCESS_KEY"])},
    "region": {"type": "str", "fallback": (env_fallback, ["KSYUN_REGION"])},
    "endpoint": {"type": "str", "fallback": (env_fallback, ["KSYUN_ENDPOINT"])},
    "scheme": {"type": "str", "choices": ["https", "http"], "fallback": (env_fallback, ["KSYUN_SCHEME"])},
    "timeout": {"type": "float", "default": 30},
    "max_attempts": {"type": "int", "default": 5},
}

INSTANCE_CHECKS_ARGSPEC = {
    "project_ids": {"type": "list", "elements": "int"},
    "check_quotas": {"type": "bool", "default": True},
}

# First polls are quick because most attachments settle within seconds; later ones spare the API.
_WAIT_PHASES = ((0.1, 1.0), (0.5, 5.0), (2.0, None))


class ModuleFailure(Exception):
    """A problem the user can fix; the message names the value and what to do, ``details`` go into the result."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.details = details


class KsyunModule:
    """AnsibleModule plus the common KSYUN options, the client (built on first use) and failure handling."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(KSYUN_COMMON_ARGSPEC)
        spec.update(argument_spec or {})
        kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **kwargs)
        self.params = self.module.params
        if not HAS_KSYUN_SDK:
            self.module.fail_json(msg=missing_required_lib(SDK_PACKAGE), exception=KSYUN_SDK_IMPORT_TRACEBACK)
        self._client = None

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return bool(self.module._diff)  # pylint: disable=protected-access

    @property
    def client(self):
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _build_client(self):
        params = self.params
        if params["max_attempts"] < 1:
            raise ModuleFailure("max_attempts must be at least 1 (the first attempt counts), got %d" % params["max_attempts"])
        if params["timeout"] <= 0:
            raise ModuleFailure("timeout must be a positive number of seconds, got %s" % params["timeout"])
        client = KsyunClient(
            access_key_id=params["access_key_id"], secret_access_key=params["secret_access_key"], region=params["region"],
            endpoint=params["endpoint"], scheme=params["scheme"], timeout=params["timeout"],
            retry=RetryPolicy(attempts=params["max_attempts"]))
        if self.check_mode:
            _refuse_writes(client)
        return client

    def warn(self, text):
        self.module.warn(text)

    def result(self, changed, before=None, after=None, **extra):
        """The exit dict; ``before``/``after`` become the diff when the task runs with --diff."""
        out = dict(extra, changed=changed)
        if self.diff_mode and (before is not None or after is not None):
            out["diff"] = {"before": before if before is not None else {}, "after": after if after is not None else {}}
        return out

    def run(self, func):
        """``func(self) -> dict`` (see ``result``); every error becomes fail_json with a readable message."""
        try:
            self.module.exit_json(**func(self))
        except ModuleFailure as exc:
            self.module.fail_json(msg=str(exc), **exc.details)
        except KsyunApiError as err:
            self.module.fail_json(msg=str(err), **api_error_details(err))
        except KsyunError as err:
            self.module.fail_json(msg=str(err))

    # Lookups: each names the option and the value when nothing is found.

    def require_subnet(self, subnet_id, option="subnet_id"):
        try:
            subnet = self.client.get_subnet(subnet_id)
        except KsyunApiError as err:
            if not is_not_found(err):
                raise
            subnet = None
        if not subnet:
            raise ModuleFailure("%s: subnet %s does not exist in region %s; check the id (ksyun.kce.subnet_info lists the subnets)" % (
                option, subnet_id, self.client.config.region))
        return subnet

    def require_instance(self, instance_id, option="instance_id"):
        try:
            instance = self.client.get_instance(instance_id, project_ids=self.params.get("project_ids"))
        except KsyunApiError as err:
            if not is_not_found(err):
                raise
            instance = None
        if not instance:
            raise ModuleFailure(
                "%s: instance %s does not exist in region %s (searched projects %s); check the id, or list its project in project_ids" % (
                    option, instance_id, self.client.config.region, ", ".join(str(p) for p in self.params.get("project_ids") or [0])))
        return instance

    def require_eni(self, eni_id, option="network_interface_id"):
        eni = self.client.get_network_interface(eni_id)
        if not eni:
            raise ModuleFailure("%s: network interface %s does not exist in region %s; check the id (ksyun.kce.eni_info lists ENIs)" % (
                option, eni_id, self.client.config.region))
        return eni

    def require_security_groups(self, group_ids, vpc_id, option="security_groups"):
        """All groups exist and are in ``vpc_id``; one describe call for all of them."""
        found = {g["SecurityGroupId"]: g for g in self.client.describe_security_groups(group_ids)}
        missing = [g for g in group_ids if g not in found]
        if missing:
            raise ModuleFailure("%s: security group %s does not exist in region %s; check the ids" % (
                option, ", ".join(missing), self.client.config.region))
        elsewhere = [g for g in group_ids if found[g].get("VpcId") != vpc_id]
        if elsewhere:
            raise ModuleFailure("%s: security group %s is not in VPC %s of the subnet; use groups of that VPC" % (
                option, ", ".join(elsewhere), vpc_id))

    def instance_type_quotas(self, instance_types):
        """``{type: {"network_interfaces": n, "private_ips": m}}`` from one DescribeInstanceTypeConfigs call."""
        types = sorted(set(t for t in instance_types if t))
        if not types:
            return {}
        quotas = {}
        for item in self.client.describe_instance_type_configs(types):
            quotas[item.get("InstanceType")] = {
                "network_interfaces": int((item.get("NetworkInterfaceQuota") or {}).get("NetworkInterfaceCount", 0)),
                "private_ips": int((item.get("PrivateIpQuota") or {}).get("PrivateIpCount", 0)),
            }
        return quotas

    def check_attachable(self, eni, instance):
        """Refuse before any call an attachment the cloud would refuse: another zone or VPC, or the ENI quota full."""
        eni_id, instance_id = eni["NetworkInterfaceId"], instance["InstanceId"]
        if eni.get("NetworkInterfaceType") == "primary":
            raise ModuleFailure("network interface %s is the primary interface of instance %s; primary ENIs cannot be attached, "
                                "detached or deleted" % (eni_id, eni.get("InstanceId")))
        zone = instance.get("AvailabilityZoneName") or instance.get("AvailabilityZone")
        if eni.get("AvailabilityZoneName") and zone and eni["AvailabilityZoneName"] != zone:
            raise ModuleFailure(
                "subnet %s of network interface %s is in zone %s but instance %s is in zone %s; use an ENI in a subnet of zone %s" % (
                    eni.get("SubnetId"), eni_id, eni["AvailabilityZoneName"], instance_id, zone, zone))
        if instance.get("VpcId") and eni.get("VpcId") and instance["VpcId"] != eni["VpcId"]:
            raise ModuleFailure("network interface %s is in VPC %s but instance %s is in VPC %s; use an ENI of VPC %s" % (
                eni_id, eni["VpcId"], instance_id, instance["VpcId"], instance["VpcId"]))
        if not self.params.get("check_quotas", True):
            return
        quota = self.instance_type_quotas([instance.get("InstanceType")]).get(instance.get("InstanceType"))
        if not quota:
            return
        attached = [n for n in instance.get("NetworkInterfaceSet") or [] if n.get("NetworkInterfaceId") != eni_id]
        if len(attached) + 1 > quota["network_interfaces"]:
            raise ModuleFailure(
                "instance %s (type %s) already has %d of %d network interfaces (the primary one counts); detach one, use an "
                "instance of a larger type, or set check_quotas=false if your account counts differently" % (
                    instance_id, instance.get("InstanceType"), len(attached), quota["network_interfaces"]))
        ips = len(private_ips(eni))
        if ips > quota["private_ips"]:
            raise ModuleFailure(
                "network interface %s holds %d private IPs but instance type %s allows %d per network interface (the primary IP "
                "counts); unassign some first with ksyun.kce.eni_private_ip" % (eni_id, ips, instance.get("InstanceType"), quota["private_ips"]))

    def wait_eni(self, eni_id, instance_id, timeout):
        """Wait until the ENI has settled attached to ``instance_id`` (detached when None); returns it."""
        deadline = time.monotonic() + timeout
        for interval, span in _WAIT_PHASES:
            remaining = max(0.0, deadline - time.monotonic())
            limit = remaining if span is None else min(span, remaining)
            try:
                return self.client.wait_network_interface(eni_id, instance_id, timeout=limit, interval=interval)
            except KsyunTimeoutError:
                if span is None or time.monotonic() >= deadline:
                    raise
        raise KsyunTimeoutError("timed out waiting for network interface %s" % eni_id)

    def settle_eni(self, eni, timeout):
        """The ENI once any attach/detach in flight has finished (no wait if it is settled already)."""
        if not (eni.get("State") or "").lower().endswith("ing"):
            return eni
        deadline = time.monotonic() + timeout
        while True:
            current = self.client.get_network_interface(eni["NetworkInterfaceId"])
            if current is None or not (current.get("State") or "").lower().endswith("ing"):
                return current
            if time.monotonic() >= deadline:
                raise ModuleFailure("network interface %s is still %s after %ds; raise wait_timeout or retry later" % (
                    eni["NetworkInterfaceId"], current.get("State"), timeout))
            time.sleep(0.2)


def _refuse_writes(client):
    """In check mode a mutating call is a bug: stop it before it is sent."""
    send = client.call

    def call(service, action, params, what):
        if action in WRITE_ACTIONS:
            raise KsyunError("internal error: %s (%s) was about to be sent in check mode; nothing was changed" % (action, what))
        return send(service, action, params, what)

    client.call = call


def api_error_details(err):
    """The fields of a failed API call that help support: code, request id, HTTP status, action ({} for other errors)."""
    if not isinstance(err, KsyunApiError):
        return {}
    return {"code": err.code, "request_id": err.request_id, "http_status": err.status, "action": err.action}


def secondary_ips(eni):
    return [item["PrivateIpAddress"] for item in eni.get("AssignedPrivateIpAddressSet") or [] if item.get("PrivateIpAddress")]


def private_ips(eni):
    """The primary IP first, then the secondary IPs."""
    return [eni["PrivateIpAddress"]] + secondary_ips(eni) if eni.get("PrivateIpAddress") else secondary_ips(eni)


def security_group_ids(eni):
    ids = [g.get("SecurityGroupId") for g in eni.get("SecurityGroupSet") or [] if g.get("SecurityGroupId")]
    return ids or ([eni["SecurityGroupId"]] if eni.get("SecurityGroupId") else [])


def eni_view(eni):
    """An ENI as the modules return it (snake_case, stable keys, no transient details)."""
    if not eni:
        return {}
    return {
        "id": eni.get("NetworkInterfaceId"),
        "name": eni.get("NetworkInterfaceName"),
        "type": eni.get("NetworkInterfaceType"),
        "state": eni.get("State"),
        "vpc_id": eni.get("VpcId"),
        "subnet_id": eni.get("SubnetId"),
        "cidr_block": eni.get("CidrBlock"),
        "availability_zone": eni.get("AvailabilityZoneName"),
        "private_ip_address": eni.get("PrivateIpAddress"),
        "secondary_private_ip_addresses": secondary_ips(eni),
        "security_groups": security_group_ids(eni),
        "mac_address": eni.get("MacAddress"),
        "instance_id": eni.get("InstanceId") or None,
        "create_time": eni.get("CreateTime"),
    }


def eni_diff_view(eni):
    """What a user manages on an ENI (the diff leaves out state and timestamps, which change by themselves)."""
    view = eni_view(eni)
    for key in ("state", "create_time", "mac_address", "cidr_block", "vpc_id", "availability_zone"):
        view.pop(key, None)
    return view


def parse_ipv4(value, option):
    """``value`` as a normalised dotted quad, or a failure naming the option and the value."""
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise ModuleFailure("%s: %r is not an IPv4 address; give a dotted quad such as 10.0.0.236" % (option, value)) from None


def check_ip_in_subnet(ip, cidr, subnet_id, option):
    """Refuse an address outside the subnet CIDR or one no ENI can hold (network, gateway, broadcast)."""
    network = ipaddress.ip_network(cidr, strict=False)
    address = ipaddress.ip_address(ip)
    if address not in network:
        raise ModuleFailure("%s: %s is outside subnet %s (CIDR %s); pick an address inside %s" % (option, ip, subnet_id, cidr, cidr))
    if address in (network.network_address, network.network_address + 1, network.broadcast_address):
        raise ModuleFailure("%s: %s is the network, gateway or broadcast address of subnet %s (CIDR %s); pick another address" % (
            option, ip, subnet_id, cidr))
    return ip
