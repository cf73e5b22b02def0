"""Named switches for behaviour the reference marks unknown ([U]); the defaults are the stricter choice.

Each field is documented in docs/sandbox.md. Values can come from ``--settings k=v``, the admin
endpoint (JSON) or the in-process API; strings are coerced to the field's type.
"""

from dataclasses import asdict, dataclass, fields

_CHOICES = {
    "ip_quota_scope": ("eni", "instance"),
    "kce_addon_instances_cluster_param": ("both", "CulsterId", "ClusterId"),
    "kce_unknown_cluster": ("empty", "error"),
}


@dataclass
class Settings:
    # "NetworkInterfaceId.0" is what the SDK makes of a Python list; real acceptance is [U].
    accept_zero_based_lists: bool = False
    # Whether NetworkInterfaceQuota.NetworkInterfaceCount includes the primary ENI ([U]).
    eni_quota_counts_primary: bool = True
    # Whether PrivateIpQuota.PrivateIpCount applies per ENI or per instance ([U]).
    ip_quota_scope: str = "eni"
    # Whether PrivateIpCount includes the primary IP ([U]).
    ip_quota_counts_primary: bool = True
    # The documented meaning of the private-ip-address filter is the primary IP only ([C:S4]).
    private_ip_filter_matches_secondary: bool = False
    # Whether ModifyPrivateIpAddressAttribute may mark an IP that is assigned right now ([U]).
    allow_specific_on_assigned_ip: bool = False
    # "specific" = only allocated by naming it explicitly ([C:S4] field comment).
    explicit_assign_takes_specific: bool = True
    # Whether DescribeSubnetAvailableAddresses lists reserved (specific) free IPs ([U]).
    available_addresses_include_specific: bool = False
    # How long attach/detach stay in the transient state ([I] from Terraform polling).
    transition_seconds: float = 1.0
    # Refuse a second attach/detach on an instance while one is in flight ([U]).
    instance_busy_during_transition: bool = True
    # Answer 403 MissingAuthenticationToken when no SigV4 Authorization header is sent.
    require_auth: bool = True
    # Page size when MaxResults is absent (the real default is [U]).
    default_page_size: int = 20
    # An EIP association is made to an ENI's private IP (AssociateAddress names NetworkInterfaceId and
    # PrivateIpAddress, SDK model); what happens when that IP leaves the ENI is [U]. false: it drops (the EIP is
    # disassociate) when the IP is unassigned or its ENI detached or deleted; true: it follows the IP to whichever
    # ENI and instance hold it next.
    eip_follows_private_ip: bool = False
    # Whether ReleaseAddress releases an associated EIP (disassociating it) or refuses with AddressInUse ([U]).
    release_associated_address: bool = False
    # Seeds ids, MAC addresses and random IP allocation.
    seed: int = 0
    # KCE / KCE2 (kce_*.py; docs/sandbox.md "KCE API"). Every one is [U] in the reference sheet.
    # Errors of kce/kce2 calls: HTTP 4xx/5xx + envelope (false), or HTTP 200 + the same envelope (true).
    kce_errors_http_200: bool = False
    # A change (ModifyCluster VpcCNI, add-on create/delete) shows its transient phase for this many describes; 0: at once.
    kce_settle_describes: int = 1
    # DescribeAddonList items flat (false) or with every field inside CompatibleK8SVersion, as the SDKs declare (true).
    kce_addon_list_nested: bool = False
    # Which cluster parameter DescribeAddonInstances reads: both, only the SDKs' "CulsterId", or only "ClusterId".
    kce_addon_instances_cluster_param: str = "both"
    # A deleted add-on instance disappears once settled (false) or stays listed with ToDelete=true (true).
    kce_deleted_addon_lingers: bool = False
    # DescribeCluster/DescribeClusters with an unknown ClusterId: an empty set ("empty") or a 404 ("error").
    kce_unknown_cluster: str = "empty"
    # When a cluster is not exposed (Expose=false), the internal (IsPublic=false) kubeconfig is blanked too.
    kce_blank_internal_config: bool = True
    # VPC-CNI also shows as an add-on "vpc-cni" (catalogue and instances, Phase following the cluster's).
    kce_vpc_cni_as_addon: bool = False
    # Only lowercase true/false are booleans (true); "True"/"False" too (false).
    kce_strict_booleans: bool = False
    # The RequestId keys as the SDKs declare them (DeleteAddonInstance "RequesetId", DescribeNetwork none) or plain.
    kce_request_id_quirks: bool = True

    def update(self, values):
        """Apply a dict of new values (strings are coerced); raises ValueError naming the bad key."""
        known = {f.name: f for f in fields(self)}
        staged = {}
        for key, raw in values.items():
            if key not in known:
                raise ValueError("unknown setting %r; known settings: %s" % (key, ", ".join(sorted(known))))
            staged[key] = coerce(key, raw, known[key].type)
        for key, value in staged.items():
            setattr(self, key, value)
        return self

    def as_dict(self):
        return asdict(self)


def coerce(key, raw, typ):
    """Turn ``raw`` into ``typ`` (given as a type or its name), with an error naming the key."""
    name = typ if isinstance(typ, str) else typ.__name__
    try:
        if name == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if name == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if name == "float":
            return float(raw)
        if name == "str":
            value = str(raw)
            if key in _CHOICES and value not in _CHOICES[key]:
                raise ValueError(raw)
            return value
    except (TypeError, ValueError):
        choices = " (one of %s)" % ", ".join(_CHOICES[key]) if key in _CHOICES else ""
        raise ValueError("setting %s needs a %s%s, got %r" % (key, name, choices, raw)) from None
    return raw


def parse_pairs(pairs):
    """``["k=v", ...]`` -> dict; raises ValueError on an item without '='."""
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError("expected key=value, got %r" % pair)
        out[key.strip()] = value.strip()
    return out
