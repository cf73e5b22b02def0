"""The KCE state words the emulator answers with, in one place: every one is [U] (reference sheet §5), so a
correction is one edit here. docs/sandbox.md "KCE API" lists them."""

# kce2 DescribeClusters Status.Phase.
CLUSTER_RUNNING = "Running"
CLUSTER_UPDATING = "Updating"  # a VpcCNI change is being applied
CLUSTER_FAILED = "Failed"  # the platform could not apply it (Status.Message says why)

# A cluster's kce2 phase before any change, from its kce (v1) Status (documented values, sheet §5).
PHASE_OF_STATUS = {
    "running": CLUSTER_RUNNING,
    "building": "Creating",
    "pending": "Creating",
    "imported": CLUSTER_RUNNING,
    "not ready": "NotReady",
    "error": CLUSTER_FAILED,
    "deleting": "Deleting",
}
CLUSTER_STATUSES = tuple(PHASE_OF_STATUS)

# DescribeAddonInstances Phase.
ADDON_INSTALLING = "Installing"
ADDON_RUNNING = "Running"
ADDON_DELETING = "Deleting"  # ToDelete=true, not settled yet
ADDON_DELETED = "Deleted"  # ToDelete=true, settled, with kce_deleted_addon_lingers
ADDON_FAILED = "Failed"

# DescribeNetwork PublicSLB/PrivateSLB/PrivateLink/EIP Phase.
NETWORK_READY = "Running"

# kce (v1) ClusterManageMode -> kce2 ClusterManageMode (both enumerations C, the mapping I).
KCE2_MANAGE_MODE = {
    "ManagedCluster": "MANAGED_CLUSTER",
    "DedicatedCluster": "INDEPENDENT_CLUSTER",
    "ServerlessCluster": "SERVERLESS_CLUSTER",
    "ExternalCluster": "EXTERNAL_CLUSTER",
}

# Node words (C, sheet §5): DescribeClusterInstance InstanceStatus, kce2 DescribeNodes Status.Phase.
NODE_NORMAL, NODE_ABNORMAL = "normal", "abnormal"
KCE2_NODE_RUNNING, KCE2_NODE_ERROR = "Running", "Error"

DAEMON_MODES = ("eniOnly", "eniMultiIP")
NETWORK_TYPES = ("Flannel", "Canal", "Calico")
MANAGE_MODES = tuple(KCE2_MANAGE_MODE)
MAX_PODS_PER_NODE = (16, 32, 64, 128, 256)
# Subnet types a container network (VPC-CNI ENIs) may use: the same rule as ENIs (docs/sandbox.md, [I]).
CONTAINER_SUBNET_TYPES = ("Normal",)
