# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's cloud checks (fixed_ip/preflight.py), from the results of the cloud modules the playbook runs.

KCE's VpcCNI (ksyun.kce.cluster_info) against the VPC-CNI ConfigMap and the kubeconfig's nodes, the container subnets
(ksyun.kce.subnet_info) as the configuration and KCE list them, and the records (ksyun.kce.fixed_ip_audit, check
mode).
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import MODE_RESOURCE
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight import (
    ABSENT,
    BLOCKER,
    OK,
    WARN,
    Check,
    ConfigView,
    few,
)


def _mode(word: Any) -> Optional[Mode]:
    """The ENI mode of a word of the collection (shared, exclusive), None for anything else."""
    try:
        return Mode(word)
    except ValueError:
        return None


def check_kce(kce: Mapping[str, Any], config: ConfigView, node_names: Optional[Sequence[str]] = None) -> Check:
    """The KCE API's VpcCNI of the cluster (one cluster of ksyun.kce.cluster_info: mode in the collection's words,
    daemon_mode as the platform said it) against the configuration, and its nodes against the kubeconfig's cluster's."""
    name = "kce_vpc_cni"
    cluster = kce.get("id") or kce.get("name") or "the cluster"
    kce_nodes = sorted({n.get("name") for n in kce.get("nodes") or [] if n.get("name")})
    if kce_nodes and node_names is not None and not set(kce_nodes) & set(node_names):
        return Check(
            name,
            BLOCKER,
            "KCE cluster %s has nodes %s, the kubeconfig's cluster %s"
            % (cluster, few(kce_nodes), few(sorted(node_names)) or "none"),
            will_not="check or change a cluster through a kubeconfig of another one: point K8S_AUTH_KUBECONFIG at %s, or "
            "give its own preflight_cluster_id" % cluster,
        )
    vpc_cni = kce.get("vpc_cni")
    if vpc_cni is None:
        return Check(
            name,
            WARN,
            "the KCE 2.0 API does not list %s, so its VpcCNI is unknown" % cluster,
            will="configure fixed IPs as the ConfigMap says",
            will_not="check the platform's VpcCNI settings against it",
        )
    if not vpc_cni.get("enabled"):
        return Check(
            name,
            ABSENT,
            "VpcCNI is off for %s (KCE API)" % cluster,
            will="switch VpcCNI on through the KCE API when the vpc_cni role runs with vpc_cni_cluster_id (its KCE path), "
            "and let the platform install the add-on",
            will_not="switch it on by itself: only the vpc_cni role (or ksyun.kce.cluster_vpc_cni) does",
        )
    mode = _mode(vpc_cni.get("mode"))
    subnets = list(vpc_cni.get("subnet_ids") or [])
    group = vpc_cni.get("security_group_id") or ""
    found = "VpcCNI on for %s: %s ENI mode (DaemonMode %s), container subnets %s, security group %s" % (
        cluster,
        mode.value if mode else "an unknown",
        vpc_cni.get("daemon_mode") or "not given",
        ", ".join(subnets) or "none",
        group or "none",
    )
    if mode is None:
        return Check(
            name,
            WARN,
            found,
            will="configure fixed IPs as the ConfigMap says",
            will_not="know which ENI mode the platform's add-on serves (its DaemonMode is neither eniMultiIP nor eniOnly)",
        )
    other = Mode.EXCLUSIVE if mode == Mode.SHARED else Mode.SHARED
    will = "give fixed IPs in %s ENI mode (%s records, %s per pod) on the platform's add-on" % (
        mode.value,
        KIND[mode],
        MODE_RESOURCE[mode],
    )
    will_not = [
        "count on %s ENI mode fixed IPs (%s records): whether the platform's add-on in DaemonMode %s serves them too is"
        " not documented by Kingsoft (docs/kce.md)"
        % (other.value, KIND[other], vpc_cni.get("daemon_mode") or mode.value)
    ]
    if config.usable:
        configured = set(config.subnet_zones())
        if config.mode and config.mode != mode.value:
            will_not.append(
                "agree with %s, whose daemonMode %s is %s ENI mode" % (config.source, config.daemon_mode, config.mode)
            )
        if configured != set(subnets):
            will_not.append(
                "use the same subnets as KCE: %s lists %s, KCE's VpcCNI %s"
                % (config.source, ", ".join(sorted(configured)) or "none", ", ".join(sorted(subnets)) or "none")
            )
        if group and config.security_group_ids and group not in config.security_group_ids:
            will_not.append(
                "use KCE's security group %s: %s names %s"
                % (group, config.source, ", ".join(config.security_group_ids))
            )
    status = WARN if len(will_not) > 1 else OK
    return Check(name, status, found, will, "; ".join(will_not))


def check_subnets(
    subnets: Sequence[Mapping[str, Any]], config: ConfigView, kce: Optional[Mapping[str, Any]] = None
) -> Optional[Check]:
    """The container subnets (ksyun.kce.subnet_info's subnets) as the configuration and KCE list them; None when neither
    names any."""
    listed = config.subnet_zones() if config.usable else {}
    kce_ids = list(((kce or {}).get("vpc_cni") or {}).get("subnet_ids") or [])
    wanted = sorted(set(listed) | set(kce_ids))
    if not wanted:
        return None
    by_id = {s.get("id"): s for s in subnets or []}
    vpc = (kce or {}).get("vpc_id") or ""
    blockers, warnings, lines = [], [], []
    for subnet_id in wanted:
        subnet = by_id.get(subnet_id)
        if subnet is None:
            blockers.append("subnet %s does not exist in the cloud" % subnet_id)
            continue
        zone = subnet.get("availability_zone") or ""
        free = int(subnet.get("available_ip_count") or 0)
        lines.append(
            "%s: %s (%s) %d free IPs, %s for random allocation"
            % (zone, subnet_id, subnet.get("cidr_block"), free, subnet.get("random_available_ip_count"))
        )
        if subnet.get("type") not in (None, "", "Normal"):
            blockers.append("subnet %s is a %s subnet, where ENIs cannot be created" % (subnet_id, subnet.get("type")))
        if subnet_id in listed and listed[subnet_id] != zone:
            blockers.append(
                "%s lists subnet %s under %s, but it lies in %s" % (config.source, subnet_id, listed[subnet_id], zone)
            )
        if vpc and subnet.get("vpc_id") and subnet.get("vpc_id") != vpc:
            blockers.append(
                "subnet %s lies in VPC %s, not the cluster's VPC %s" % (subnet_id, subnet.get("vpc_id"), vpc)
            )
        if free == 0:
            warnings.append("subnet %s has no free IP: a new pod there gets none" % subnet_id)
    found = "; ".join(lines + blockers) or "none"
    if blockers:
        return Check(
            "container_subnets",
            BLOCKER,
            found,
            will_not="bind a fixed IP in these subnets: %s" % "; ".join(blockers),
        )
    return Check(
        "container_subnets",
        WARN if warnings else OK,
        found,
        will="take pod IPs from these subnets, each only in its own zone (a fixed IP never leaves its subnet)",
        will_not="; ".join(warnings),
    )


def check_audit(audit: Mapping[str, Any]) -> Check:
    """The records against pods and the cloud (ksyun.kce.fixed_ip_audit's report, made in check mode)."""
    summary = {kind: count for kind, count in (audit.get("summary") or {}).items() if count}
    records = audit.get("records", 0)
    if audit.get("in_sync"):
        return Check(
            "records",
            OK,
            "%s records; records, pods and the cloud agree" % records,
            will="bind, release and reclaim from these records",
        )
    return Check(
        "records",
        WARN,
        "%s records; %s" % (records, ", ".join("%s: %d" % item for item in sorted(summary.items())) or "findings"),
        will="report each finding with its fix (ansible-playbook ksyun.kce.audit; audit_repair=true repairs the safe "
        "ones)",
        will_not="repair anything during the preflight, which only reads",
    )


def cloud_checks(
    config: ConfigView,
    kce: Optional[Mapping[str, Any]] = None,
    subnets: Optional[Sequence[Mapping[str, Any]]] = None,
    audit: Optional[Mapping[str, Any]] = None,
    node_names: Optional[Sequence[str]] = None,
) -> List[Check]:
    """The checks from the cloud modules' results; each part left out (None) is not checked. node_names: the nodes of
    the kubeconfig's cluster, to tell whether KCE's cluster is that one."""
    checks = []
    if kce is not None:
        checks.append(check_kce(kce, config, node_names))
    if subnets is not None:
        subnet_check = check_subnets(subnets, config, kce)
        if subnet_check is not None:
            checks.append(subnet_check)
    if audit is not None:
        checks.append(check_audit(audit))
    return checks
