# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zone of a fixed-IP StatefulSet, and its pinned IPs checked against the zone's container subnets."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: fixed_ip_statefulset_zone
author: ksyun.kce contributors
version_added: 0.1.0
short_description: The zone of a fixed-IP StatefulSet, with its pinned IPs checked
description:
  - Decides the availability zone whose container subnets give a fixed-IP StatefulSet its IPs, and checks the IPs pinned
    to its ordinals, before anything is reserved or applied (ksyun.kce.fixed_ip_statefulset role).
  - The zone is O(zone) when given; else the zone of the container subnet holding the pinned IPs; else the only zone the
    VPC-CNI configuration (C(podSubnets) of its ConfigMap) has container subnets in. Several zones and no pinned IP is
    ambiguous and refused, saying what to set.
  - Each pinned IP must be an IPv4 address, given once, and lie in a container subnet of that zone (the input's subnets
    tell each container subnet's CIDR).
  - Whether a pinned IP is free is the cloud's to say; ksyun.kce.fixed_ip checks it when it reserves the IP.
options:
  _input:
    description: The pinned IPs, the one of ordinal 0 first; may be empty.
    type: list
    elements: str
    required: true
  cluster_config:
    description:
      - The C(data) of the VPC-CNI ConfigMap (C(kube-system/ksyun-vpc-cni) by default), as kubernetes.core.k8s_info
        returns it; null when the ConfigMap does not exist.
    type: dict
    required: true
  subnets:
    description:
      - The subnets as ksyun.kce.subnet_info returns them (C(id), C(cidr_block), C(availability_zone)), at least the
        container subnets; needed only when there are pinned IPs.
    type: list
    elements: dict
    default: []
  zone:
    description: The zone the user chose; empty to derive it.
    type: str
  config_name:
    description: The ConfigMap as C(<namespace>/<name>), for messages.
    type: str
    default: kube-system/ksyun-vpc-cni
  variable_prefix:
    description: Prefix of the variable names in error messages (the role passes C(fixed_ip_statefulset_)).
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Read the VPC-CNI configuration
  kubernetes.core.k8s_info:
    kind: ConfigMap
    namespace: kube-system
    name: ksyun-vpc-cni
  register: vpc_cni_config

- name: Read the subnets
  ksyun.kce.subnet_info:
    include_addresses: false
  register: subnets

- name: The zone of the pinned IPs
  ansible.builtin.debug:
    msg: >-
      {{ ['10.0.0.20', '10.0.0.21'] | ksyun.kce.fixed_ip_statefulset_zone(
           cluster_config=vpc_cni_config.resources[0].data, subnets=subnets.subnets) }}
  # {"zone": "cn-beijing-6a", "source": "the zone of container subnet ... (10.0.0.0/24) holding ips"}
"""

RETURN = r"""
_value:
  description: The zone and where it came from.
  type: dict
  contains:
    zone:
      description: The availability zone.
      type: str
      sample: cn-beijing-6a
    source:
      description: Why this zone, in words, for messages.
      type: str
      sample: the only zone with container subnets in ConfigMap kube-system/ksyun-vpc-cni
"""

import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import POD_SUBNETS, parse_cluster_config


def _fail(text):
    return AnsibleFilterError(text)


def _pod_subnets(cluster_config, source):
    if cluster_config is None:
        raise _fail(
            "%s does not exist, so the cluster has no VPC-CNI configuration; install it (ksyun.kce.vpc_cni), or point "
            "the role at the ConfigMap that holds it" % source
        )
    try:
        return parse_cluster_config(cluster_config, source).settings.pod_subnets
    except FixedIpError as err:
        raise _fail(str(err)) from None


def _ips(ips, var):
    if ips is None:
        return []
    if not isinstance(ips, (list, tuple)):
        raise _fail("%s is %r; give a list of IPs, the one of ordinal 0 first" % (var, ips))
    seen = {}
    out = []
    for index, value in enumerate(ips):
        try:
            ip = ipaddress.IPv4Address(str(value).strip())
        except ValueError:
            raise _fail(
                "%s[%d] is %r, not an IPv4 address; give a dotted quad such as 10.0.0.236" % (var, index, value)
            ) from None
        if ip in seen:
            raise _fail(
                "%s[%d] and %s[%d] are both %s; a fixed IP belongs to one pod: give every ordinal its own IP"
                % (var, seen[ip], var, index, ip)
            )
        seen[ip] = index
        out.append(ip)
    return out


def _container_subnets(pod_subnets, subnets):
    """(zone, subnet id, network or None when the cloud has no such subnet) of every container subnet."""
    by_id = {item.get("id"): item for item in subnets or [] if isinstance(item, dict)}
    out = []
    for zone in sorted(pod_subnets):
        for subnet_id in pod_subnets[zone]:
            found = by_id.get(subnet_id)
            network = ipaddress.IPv4Network(found["cidr_block"], strict=False) if found else None
            out.append((zone, subnet_id, network))
    return out


def _describe(container_subnets):
    return (
        ", ".join(
            "%s: %s (%s)" % (zone, subnet_id, network if network else "not found in the cloud")
            for zone, subnet_id, network in container_subnets
        )
        or "none"
    )


def fixed_ip_statefulset_zone(
    ips, cluster_config, subnets=None, zone=None, config_name="kube-system/ksyun-vpc-cni", variable_prefix=""
):
    source = "ConfigMap %s" % config_name
    zone_var, ips_var = variable_prefix + "zone", variable_prefix + "ips"
    pod_subnets = _pod_subnets(cluster_config, source)
    zones = sorted(pod_subnets)
    if zone and zone not in pod_subnets:
        raise _fail(
            "%s is %r, but %s %s has container subnets in zones %s only; use one of those zones, or add the zone's "
            "container subnets to %s" % (zone_var, zone, source, POD_SUBNETS, ", ".join(zones) or "(none)", POD_SUBNETS)
        )
    pinned = _ips(ips, ips_var)
    if pinned:
        container_subnets = _container_subnets(pod_subnets, subnets)
        owners = []
        for index, ip in enumerate(pinned):
            owner = next(
                ((z, s, n) for z, s, n in container_subnets if n is not None and ip in n),
                None,
            )
            if owner is None:
                raise _fail(
                    "%s[%d] is %s, outside every container subnet of the cluster (%s %s: %s); a fixed-IP pod gets its IP "
                    "from a container subnet of its zone: choose an IP inside one"
                    % (ips_var, index, ip, source, POD_SUBNETS, _describe(container_subnets))
                )
            if zone and owner[0] != zone:
                raise _fail(
                    "%s[%d] is %s, in container subnet %s (%s) of zone %s, but %s is %s; a fixed IP never leaves its "
                    "subnet's zone: choose an IP of a container subnet of %s (%s), or set %s to %s"
                    % (
                        ips_var,
                        index,
                        ip,
                        owner[1],
                        owner[2],
                        owner[0],
                        zone_var,
                        zone,
                        zone,
                        _describe([c for c in container_subnets if c[0] == zone]),
                        zone_var,
                        owner[0],
                    )
                )
            owners.append(owner)
        if not zone:
            found = sorted({owner[0] for owner in owners})
            if len(found) > 1:
                raise _fail(
                    "%s lie in container subnets of different zones (%s); the pods of one StatefulSet run in one zone: "
                    "choose the IPs of one zone's container subnets"
                    % (
                        ips_var,
                        ", ".join(
                            "%s[%d] %s: %s" % (ips_var, i, ip, o[0]) for i, (ip, o) in enumerate(zip(pinned, owners))
                        ),
                    )
                )
            return {
                "zone": found[0],
                "source": "the zone of container subnet %s (%s) holding %s" % (owners[0][1], owners[0][2], ips_var),
            }
    if zone:
        return {"zone": zone, "source": zone_var}
    if len(zones) == 1:
        return {"zone": zones[0], "source": "the only zone with container subnets in %s" % source}
    raise _fail(
        "%s is not set and %s %s has container subnets in %s; set %s to the zone the pods run in%s"
        % (
            zone_var,
            source,
            POD_SUBNETS,
            "zones %s" % ", ".join(zones) if zones else "no zone",
            zone_var,
            (
                " (one of them), or pin IPs with %s" % ips_var
                if zones
                else ", after adding its container subnets to %s" % POD_SUBNETS
            ),
        )
    )


class FilterModule(object):
    """ksyun.kce.fixed_ip_statefulset_zone"""

    def filters(self):
        return {"fixed_ip_statefulset_zone": fixed_ip_statefulset_zone}
