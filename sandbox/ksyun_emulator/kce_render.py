"""Wire shapes of KCE clusters and nodes (field names as the SDKs declare them, reference sheet §2).

Node fields are read from the VPC/KEC state at answer time: the same instance ids, IPs, zones, subnets, types and
security groups DescribeInstances shows, including ENIs attached since.
"""

from . import kce_vpc_cni, kce_words
from .kce_topology import derived_id


def nodes_of(state, cluster):
    return [state.data["instances"][iid] for iid in cluster["instance_ids"] if iid in state.data["instances"]]


def node_status(state, inst):
    return kce_words.NODE_NORMAL if inst["state"] == "active" else kce_words.NODE_ABNORMAL


def _nics(state, inst):
    out = []
    for eni in sorted(state.enis_of(inst["id"]), key=lambda e: (e["type"] != "primary", e["created"], e["id"])):
        out.append(
            {
                "NetworkInterfaceId": eni["id"],
                "NetworkInterfaceType": eni["type"],
                "SubnetId": eni["subnet_id"],
                "PrivateIpAddress": eni["primary_ip"],
                "MacAddress": eni["mac"],
                "SecurityGroupSet": [{"SecurityGroupId": g} for g in eni["security_group_ids"]],
            }
        )
    return out


def _primary_groups(state, inst):
    eni = state.data["network_interfaces"].get(inst["primary_eni_id"])
    return list(eni["security_group_ids"]) if eni else []


def cluster(state, item):
    """One DescribeCluster ``ClusterSet`` item (2019-08-06 and 2023-11-15 alike, [U] whether they differ)."""
    nodes = nodes_of(state, item)
    return {
        "ClusterId": item["id"],
        "ClusterName": item["name"],
        "ClusterType": "VirtualMachine",
        "ClusterManageMode": item["manage_mode"],
        "K8sVersion": item["k8s_version"],
        "ClusterDesc": item["description"],
        "PodCidr": item["pod_cidr"],
        "ServiceCidr": item["service_cidr"],
        "VpcId": item["vpc_id"],
        "VpcCidr": state.data["vpcs"][item["vpc_id"]]["cidr"],
        "Status": item["status"],
        "NodeNum": len(nodes),
        "NormalNodeNum": sum(1 for n in nodes if node_status(state, n) == kce_words.NODE_NORMAL),
        "NetworkType": item["network_type"],
        "MaxPodPerNode": item["max_pod_per_node"],
        "MasterEtcdSeparate": False,
        "OrderType": 2,
        "ServiceEndTime": "",
        "EnableKMSE": False,
        "CreateTime": item["created"],
        "UpdateTime": item["updated"],
    }


def summary(state, item):
    """One DescribeClusterSummary ``ClusterSet`` item."""
    return {
        "ClusterId": item["id"],
        "ClusterName": item["name"],
        "ClusterManageMode": item["manage_mode"],
        "K8sVersion": item["k8s_version"],
        "PodCidr": item["pod_cidr"],
        "ServiceCidr": item["service_cidr"],
        "VpcId": item["vpc_id"],
        "VpcCidr": state.data["vpcs"][item["vpc_id"]]["cidr"],
        "NetworkType": item["network_type"],
        "Status": item["status"],
        "CreateTime": item["created"],
    }


def node(state, item, inst):
    """One DescribeClusterInstance ``InstanceSet`` item."""
    itype = state.data["instance_types"][inst["type"]]
    subnet = state.data["subnets"][inst["subnet_id"]]
    return {
        "InstanceId": inst["id"],
        "InstanceName": inst["name"],
        "NodeName": inst["primary_ip"],
        "InstanceRole": "Worker",
        "InstanceStatus": node_status(state, inst),
        "Type": "kec",
        "ErrorMessage": "",
        "UnSchedulable": False,
        "DrainStatus": "",
        "NodePoolId": derived_id(item["id"], "nodepool"),
        "KecInstancePara": {
            "ProjectId": inst["project_id"],
            "InstanceType": inst["type"],
            "ImageId": inst["image_id"],
            "ChargeType": "Monthly",
            "PrivateIpAddress": inst["primary_ip"],
            "AvailabilityZone": inst["zone"],
            "CreateTime": inst["created"].replace("T", " ").replace("Z", ""),
            "SubnetId": inst["subnet_id"],
            "VpcId": subnet["vpc_id"],
            "DedicatedName": "",
            "DedicatedId": "",
            "InstanceConfigure": {
                "VCPU": itype["cpu"],
                "MemoryGb": itype["memory"],
                "GPU": 0,
                "DataDiskGb": 0,
                "RootDiskGb": 20,
                "DataDiskType": "",
            },
            "SystemDisk": {"DiskType": "SSD3.0", "DiskSize": 20},
            "NetworkInterfaceSet": _nics(state, inst),
        },
        "AdvancedSetting": {
            "ContainerRuntime": "containerd",
            "DockerPath": "",
            "ContainerPath": "",
            "UserScript": "",
            "PreUserScript": "",
            "Schedulable": True,
            "Label": [],
            "ExtraArg": {},
            "ContainerLogMaxSize": "100m",
            "ContainerLogMaxFiles": "10",
        },
    }


def kce2_node(state, item, inst):
    """One kce2 DescribeNodes ``Data.InstanceSet`` item (note the ``ID`` capitalisation, sheet §2.6)."""
    groups = _primary_groups(state, inst)
    normal = node_status(state, inst) == kce_words.NODE_NORMAL
    return {
        "Provider": "KEC",
        "Components": [{"Type": "kubelet"}, {"Type": "containerd"}],
        "InstanceId": inst["id"],
        "KceNodeId": derived_id(item["id"], "node", inst["id"]),
        "Name": inst["primary_ip"],
        "ClusterId": item["id"],
        "Status": {
            "Phase": kce_words.KCE2_NODE_RUNNING if normal else kce_words.KCE2_NODE_ERROR,
            "Message": "" if normal else "instance state is %s" % inst["state"],
        },
        "AdvancedSetting": {"ContainerRuntime": "containerd", "Schedulable": True},
        "BasicSetting": {
            "AvailabilityZone": inst["zone"],
            "ImageID": inst["image_id"],
            "SecurityGroupID": groups[0] if groups else "",
            "SubnetID": inst["subnet_id"],
            "InstanceType": inst["type"],
        },
        "CreatedTime": inst["created"].replace("T", " ").replace("Z", ""),
        "UpdatedTime": inst["created"].replace("T", " ").replace("Z", ""),
    }


def kce2_cluster(state, item):
    """One kce2 DescribeClusters ``Data.ClusterSet`` item; ``Status.Message`` is the emulator's addition (the SDK
    models have only Phase): the reason of a failed VpcCNI change, else ""."""
    nodes = nodes_of(state, item)
    addons = state.data["kce"]["addons"].values()
    return {
        "ClusterId": item["id"],
        "ClusterName": item["name"],
        "ClusterManageMode": kce_words.KCE2_MANAGE_MODE[item["manage_mode"]],
        "ProjectId": 0,
        "KubernetesVersion": item["k8s_version"],
        "Network": {
            "NetworkPluginType": item["network_type"].lower(),
            "ApiServer": {
                "PublicApiServerEnable": item["expose"],
                "EipId": derived_id(item["id"], "eip") if item["expose"] else "",
                "ReserveSubnetId": nodes[0]["subnet_id"] if nodes else "",
                "LbType": "SLB",
                "IsAdaptationLb": False,
                "PrivateLbId": derived_id(item["id"], "private-lb"),
                "PublicLbId": derived_id(item["id"], "public-lb") if item["expose"] else "",
            },
            "VpcCNI": dict(kce_vpc_cni.DISABLED, **item["vpc_cni"]),
            "PodCidr": item["pod_cidr"],
            "ServiceCidr": item["service_cidr"],
            "MaxPodPerNode": item["max_pod_per_node"],
        },
        "Addons": [{"Name": a["name"]} for a in addons if a["cluster_id"] == item["id"] and not a["to_delete"]],
        "ManagedClusterSpec": {},
        "Status": {"Phase": item["phase"], "Message": item["message"]},
        "CreatedTime": item["created"],
        "UpdatedTime": item["updated"],
    }
