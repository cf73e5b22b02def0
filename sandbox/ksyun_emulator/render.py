"""Wire shapes of the resources (field names as in reference §3, quirks included)."""

from . import ipam

_TIME = "2026-01-01 00:00:00"


def _time(value):
    return (value or _TIME).replace("T", " ").replace("Z", "")


def network_interface(state, eni):
    subnet = state.data["subnets"][eni["subnet_id"]]
    vpc = state.data["vpcs"][subnet["vpc_id"]]
    groups = [state.data["security_groups"][g] for g in eni["security_group_ids"]]
    item = {
        "NetworkInterfaceId": eni["id"],
        "NetworkInterfaceName": eni["name"],
        "NetworkInterfaceType": eni["type"],
        "VpcId": vpc["id"],
        "VpcName": vpc["name"],
        "SubnetId": subnet["id"],
        "SubnetName": subnet["name"],
        "CidrBlock": subnet["cidr"],
        "AvailabilityZoneName": subnet["zone"],
        "PrivateIpAddress": eni["primary_ip"],
        "SecurityGroupSet": [{"SecurityGroupId": g["id"], "SecurityGroupName": g["name"]} for g in groups],
        "SecurityGroupId": groups[0]["id"] if groups else "",
        "SecurityGroupName": groups[0]["name"] if groups else "",
        "MacAddress": eni["mac"],
        "DNS1": subnet["dns1"],
        "DNS2": subnet["dns2"],
        "CreateTime": _time(eni["created"]),
        "State": eni["state"],
    }
    # Real responses omit the set when there are no secondary IPs ([C:S5]); clients must cope.
    if eni["secondary_ips"]:
        item["AssignedPrivateIpAddressSet"] = [{"PrivateIpAddress": ip} for ip in eni["secondary_ips"]]
    if eni["instance_id"]:
        item["InstanceId"] = eni["instance_id"]
        item["InstanceType"] = "kec"
    return item


def instance(state, inst):
    itype = state.data["instance_types"][inst["type"]]
    subnet = state.data["subnets"][inst["subnet_id"]]
    nics = []
    for eni in sorted(state.enis_of(inst["id"]), key=lambda e: (e["type"] != "primary", e["created"], e["id"])):
        eni_subnet = state.data["subnets"][eni["subnet_id"]]
        nics.append(
            {
                "NetworkInterfaceId": eni["id"],
                "NetworkInterfaceName": eni["name"],
                "NetworkInterfaceType": eni["type"],
                "VpcId": eni_subnet["vpc_id"],
                "SubnetId": eni["subnet_id"],
                "MacAddress": eni["mac"],
                "PrivateIpAddress": eni["primary_ip"],
                "SecurityGroupSet": [{"SecurityGroupId": g} for g in eni["security_group_ids"]],
                "GroupSet": [{"GroupId": g} for g in eni["security_group_ids"]],
                "PublicIp": "",
            }
        )
    return {
        "InstanceId": inst["id"],
        "InstanceName": inst["name"],
        "InstanceType": inst["type"],
        "AvailabilityZone": inst["zone"],
        "AvailabilityZoneName": inst["zone"],
        "SubnetId": inst["subnet_id"],
        "VpcId": subnet["vpc_id"],
        "PrivateIpAddress": inst["primary_ip"],
        "ProjectId": str(inst["project_id"]),
        "ImageId": inst["image_id"],
        "CreationDate": inst["created"],
        "ChargeType": "Monthly",
        "InstanceState": {"Name": state.instance_state(inst)},
        "InstanceConfigure": {"VCPU": itype["cpu"], "GPU": 0, "MemoryGb": itype["memory"]},
        "NetworkInterfaceSet": nics,
    }


def subnet(state, item):
    usable = ipam.usable(item)
    used = ipam.in_use(state, item["id"])
    free = [ip for ip in usable if ip not in used]
    reserved = ipam.specific(state, item["id"])  # once: per free address it made DescribeSubnets O(free x reserved)
    random_free = [ip for ip in free if ip not in reserved]
    return {
        "SubnetId": item["id"],
        "SubnetName": item["name"],
        "VpcId": item["vpc_id"],
        "CidrBlock": item["cidr"],
        "SubnetType": item["type"],
        "AvailabilityZoneName": item["zone"],
        "GatewayIp": ipam.gateway(item),
        "DhcpIpFrom": usable[0] if usable else "",
        "DhcpIpTo": usable[-1] if usable else "",
        "Dns1": item["dns1"],
        "Dns2": item["dns2"],
        "AvailableIpNumber": len(free),
        "RandomAvailableIpNum": len(random_free),
        "AvailbleIPNumber": len(free),
        "NetworkAclId": "",
        "NatId": "",
        "RouteTableId": "",
        "CreateTime": _TIME,
    }


def security_group(item):
    return {
        "SecurityGroupId": item["id"],
        "SecurityGroupName": item["name"],
        "VpcId": item["vpc_id"],
        "Description": item["description"],
        "SecurityGroupType": item["type"],
        "CreateTime": _TIME,
        "SecurityGroupEntrySet": [dict(rule) for rule in item["rules"]],
    }


def instance_type_config(item):
    return {
        "InstanceType": item["type"],
        "InstanceFamily": item["family"],
        "InstanceFamilyName": item["family_name"],
        "CPU": item["cpu"],
        "GPU": 0,
        "Memory": item["memory"],
        "NetworkInterfaceQuota": {"NetworkInterfaceCount": item["eni_quota"]},
        "PrivateIpQuota": {"PrivateIpCount": item["ip_quota"]},
        "AvailabilityZoneSet": [{"AzCode": zone} for zone in item["zones"]],
    }


def address(state, item, reached=None):
    """One ``AddressesSet`` item; ``reached`` is ``(eni, instance id)`` of its association (eip.holder), if any."""
    view = {
        "AllocationId": item["id"],
        "PublicIp": item["public_ip"],
        "LineId": item["line_id"],
        "BandWidth": item["band_width"],
        "ChargeType": item["charge_type"],
        "ProjectId": item["project_id"],
        "IpVersion": "ipv4",
        "CreateTime": item["created"],
        "State": "disassociate",
    }
    assoc = item["association"]
    if assoc:
        eni, instance_id = reached or (None, None)
        view.update(State="associate", InstanceType=assoc["instance_type"], PrivateIpAddress=assoc["private_ip"])
        if eni is not None:
            view["NetworkInterfaceId"] = eni["id"]
        if instance_id:
            view["InstanceId"] = instance_id
        if assoc.get("mode"):
            view["Mode"] = assoc["mode"]
    return view
