"""Per instance-type limits: ENIs per instance and private IPs (per ENI or per instance), as the settings say."""

from .errors import ApiError


def _ip_count(state, eni):
    return len(eni["secondary_ips"]) + (1 if state.settings.ip_quota_counts_primary else 0)


def check_eni_quota(state, instance):
    """Refuse one more ENI on ``instance`` when its type's NetworkInterfaceCount is reached."""
    itype = state.data["instance_types"][instance["type"]]
    enis = state.enis_of(instance["id"])
    count = len([e for e in enis if e["type"] != "primary" or state.settings.eni_quota_counts_primary])
    if count + 1 > itype["eni_quota"]:
        raise ApiError(
            "QuotaExceeded.NetworkInterface",
            "Instance %s (type %s) already has %d of %d network interfaces%s; detach one or use a larger instance type."
            % (
                instance["id"],
                itype["type"],
                count,
                itype["eni_quota"],
                " (the primary one counts)" if state.settings.eni_quota_counts_primary else "",
            ),
        )


def check_ip_quota(state, instance, eni, adding):
    """Refuse ``adding`` more IPs on ``eni`` (attached, or about to be, to ``instance``) beyond PrivateIpCount."""
    if instance is None:
        return
    itype = state.data["instance_types"][instance["type"]]
    total = _ip_count(state, eni) + adding
    scope = "network interface %s" % eni["id"]
    if state.settings.ip_quota_scope == "instance":
        total += sum(_ip_count(state, e) for e in state.enis_of(instance["id"]) if e["id"] != eni["id"])
        scope = "instance %s" % instance["id"]
    if total > itype["ip_quota"]:
        raise ApiError(
            "QuotaExceeded.PrivateIpAddress",
            "%s would hold %d private IPs but instance type %s allows %d%s; unassign some or use another network interface."
            % (
                scope[0].upper() + scope[1:],
                total,
                itype["type"],
                itype["ip_quota"],
                " (the primary IP counts)" if state.settings.ip_quota_counts_primary else "",
            ),
        )
