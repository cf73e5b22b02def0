"""The add-on catalogue DescribeAddonList answers, in one table. Names csi-driver, lb-controller, kube-proxy and
nvidia-gpu are documented (kce2 CreateCluster Addons[].Name, sheet §4); coredns is a KCE default component ([I]); the
ids, versions, categories, types and K8s ranges are the emulator's own ([U]). ``vpc-cni`` is listed only with the
setting ``kce_vpc_cni_as_addon`` (whether VPC-CNI is an add-on at all is [U], sheet §9.10)."""

from collections import namedtuple

Addon = namedtuple(
    "Addon", "name addon_id version category sub_category type default_install k8s_min k8s_max description"
)

VPC_CNI = "vpc-cni"

# fmt: off
CATALOGUE = (
    Addon("coredns", "5f2c7a10-0007-4a6e-9c1b-0000000000a1", "1.11.3", "network", "dns", "system", True,
          "v1.19.0", "v1.40.99", "Cluster DNS"),
    Addon("kube-proxy", "5f2c7a10-0007-4a6e-9c1b-0000000000a2", "v1.37.2", "network", "service", "system", True,
          "v1.19.0", "v1.40.99", "Service proxy on every node"),
    Addon("csi-driver", "5f2c7a10-0007-4a6e-9c1b-0000000000a3", "2.4.1", "storage", "csi", "optional", False,
          "v1.19.0", "v1.40.99", "Cloud disk CSI driver"),
    Addon("lb-controller", "5f2c7a10-0007-4a6e-9c1b-0000000000a4", "1.6.0", "network", "ingress", "optional", False,
          "v1.19.0", "v1.40.99", "SLB/ALB controller for Services and Ingresses"),
    Addon("nvidia-gpu", "5f2c7a10-0007-4a6e-9c1b-0000000000a5", "0.17.0", "gpu", "device-plugin", "optional", False,
          "v1.19.0", "v1.40.99", "NVIDIA GPU device plugin"),
    Addon(VPC_CNI, "5f2c7a10-0007-4a6e-9c1b-0000000000a6", "1.9.2", "network", "cni", "system", False,
          "v1.19.0", "v1.40.99", "VPC-CNI: pods on ENIs of the VPC"),
)
# fmt: on


def visible(settings):
    """The catalogue as the settings show it."""
    return [a for a in CATALOGUE if a.name != VPC_CNI or settings.kce_vpc_cni_as_addon]


def by_name(settings, name):
    return next((a for a in visible(settings) if a.name == name), None)


def by_id(settings, addon_id):
    return next((a for a in visible(settings) if a.addon_id == addon_id), None)


def _version_key(text):
    parts = []
    for piece in text.lstrip("v").split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def compatible(addon, k8s_version):
    return _version_key(addon.k8s_min) <= _version_key(k8s_version) <= _version_key(addon.k8s_max)


def list_item(addon, nested):
    """One DescribeAddonList item: flat (the likely live shape, sheet §3.1) or nested as GO/JAVA declare it."""
    fields = {
        "DescriptionCn": addon.description,
        "Description": addon.description,
        "Category": addon.category,
        "SubCategory": addon.sub_category,
        "AddonId": addon.addon_id,
        "AddonVersion": addon.version,
        "Name": addon.name,
        "DefaultInstall": addon.default_install,
    }
    if nested:
        return {"CompatibleK8SVersion": dict({"Max": addon.k8s_max, "Min": addon.k8s_min}, **fields)}
    return dict(fields, CompatibleK8SVersion={"Max": addon.k8s_max, "Min": addon.k8s_min})
