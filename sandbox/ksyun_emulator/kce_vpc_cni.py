"""A cluster's VPC-CNI configuration: its checks (ModifyCluster and the topology share them) and its wire form."""

from . import kce_words
from .errors import ApiError, invalid, missing

DISABLED = {"Enable": False, "DaemonMode": "", "SubnetIds": [], "SecurityGroup": ""}


def check(data, cluster, enable, daemon_mode, subnet_ids, security_group, prefix="VpcCNI."):
    """The stored form ``{Enable, DaemonMode, SubnetIds, SecurityGroup}``; raises an ApiError naming the bad value."""
    if not enable:
        for name, value in (("DaemonMode", daemon_mode), ("SubnetId", subnet_ids), ("SecurityGroup", security_group)):
            if value:
                raise invalid(
                    prefix + name, value, "%sEnable is false: switching VPC-CNI off takes no %s" % (prefix, name)
                )
        return dict(DISABLED)
    if not daemon_mode:
        raise missing(prefix + "DaemonMode")
    if daemon_mode not in kce_words.DAEMON_MODES:
        raise invalid(prefix + "DaemonMode", daemon_mode, "one of %s" % ", ".join(kce_words.DAEMON_MODES))
    if not subnet_ids:
        raise missing(prefix + "SubnetId.1")
    vpc_id = cluster["vpc_id"]
    for subnet_id in subnet_ids:
        subnet = data["subnets"].get(subnet_id)
        if subnet is None:
            raise ApiError("InvalidSubnetId.NotFound", "The subnet %s does not exist (not found)." % subnet_id)
        if subnet["vpc_id"] != vpc_id:
            raise invalid(
                prefix + "SubnetId",
                subnet_id,
                "the subnet is in VPC %s, not in the cluster's VPC %s" % (subnet["vpc_id"], vpc_id),
            )
        if subnet["type"] not in kce_words.CONTAINER_SUBNET_TYPES:
            raise invalid(
                prefix + "SubnetId",
                subnet_id,
                "the subnet's type is %s; pod ENIs need a subnet of type %s"
                % (subnet["type"], " or ".join(kce_words.CONTAINER_SUBNET_TYPES)),
            )
    if len(set(subnet_ids)) != len(subnet_ids):
        raise invalid(prefix + "SubnetId", subnet_ids, "a subnet is named twice")
    if not security_group:
        raise missing(prefix + "SecurityGroup")
    group = data["security_groups"].get(security_group)
    if group is None:
        raise ApiError(
            "InvalidSecurityGroupId.NotFound", "The security group %s does not exist (not found)." % security_group
        )
    if group["vpc_id"] != vpc_id:
        raise invalid(
            prefix + "SecurityGroup",
            security_group,
            "the security group is in VPC %s, not in the cluster's VPC %s" % (group["vpc_id"], vpc_id),
        )
    return {"Enable": True, "DaemonMode": daemon_mode, "SubnetIds": list(subnet_ids), "SecurityGroup": security_group}


def from_params(params):
    """The asked configuration from ModifyCluster's ``VpcCNI.*`` form keys; None when VpcCNI was left out."""
    if not params.prefixed("VpcCNI"):
        return None
    params.unknown_under("VpcCNI", ("Enable", "DaemonMode", "SubnetId", "SecurityGroup"))
    enable = params.bool("VpcCNI.Enable")
    if enable is None:
        raise missing("VpcCNI.Enable")
    return enable, params.str("VpcCNI.DaemonMode"), params.list("VpcCNI.SubnetId"), params.str("VpcCNI.SecurityGroup")


def platform_view(data, cluster):
    """The dict sandbox.platform.reconcile_vpc_cni takes."""
    cni = dict(cluster["vpc_cni"])
    return {
        "ClusterId": cluster["id"],
        "ClusterName": cluster["name"],
        "VpcCNI": dict(cni, SubnetIds=list(cni["SubnetIds"])),
        "Subnets": {sid: data["subnets"][sid]["zone"] for sid in cni["SubnetIds"]},
    }
