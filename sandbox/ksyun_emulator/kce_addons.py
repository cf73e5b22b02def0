"""kce 2023-01-01 add-on actions: DescribeAddonList, DescribeAddonInstances, CreateAddonInstance, DeleteAddonInstance.

An instance's Phase settles call-driven: it shows its transient phase (Installing, or Deleting with ToDelete=true) for
``kce_settle_describes`` DescribeAddonInstances answers that list it, then Running, or gone (``Deleted`` and still
listed with ``kce_deleted_addon_lingers``). The words are in kce_words.py, the catalogue in kce_catalogue.py.
"""

import time

from . import kce_catalogue, kce_words
from .errors import ApiError, invalid, missing, not_found
from .kce_cluster import by_id_or_name
from .kce_topology import derived_id

_ADDON_FIELDS = ("Name", "AddonId", "Type", "Config", "AddonVersion")


def _now():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def _instances_of(state, cluster):
    return [a for a in state.data["kce"]["addons"].values() if a["cluster_id"] == cluster["id"]]


def _settle_at_once(state):
    return max(0, state.settings.kce_settle_describes)


def describe_addon_list(state, params):
    name = params.str("Name")
    items = [a for a in kce_catalogue.visible(state.settings) if not name or a.name == name]
    start = params.int("Marker", default=0, minimum=0)
    size = params.int("MaxResults", default=0, minimum=0, maximum=1000) or len(items)
    nested = state.settings.kce_addon_list_nested
    return {"Data": {"AddonList": [kce_catalogue.list_item(a, nested) for a in items[start : start + size]]}}


def _addon_cluster(state, params):
    """The cluster as ``kce_addon_instances_cluster_param`` reads it: the SDKs' ``CulsterId``, ``ClusterId`` or both."""
    mode = state.settings.kce_addon_instances_cluster_param
    culster, cluster_id = params.str("CulsterId"), params.str("ClusterId")
    if mode == "CulsterId":
        if not culster and not params.str("ClusterName"):
            raise missing("CulsterId")
        return by_id_or_name(state, params, "CulsterId")
    if mode == "ClusterId":
        return by_id_or_name(state, params, "ClusterId")
    if culster and cluster_id and culster != cluster_id:
        raise invalid("ClusterId", cluster_id, "CulsterId names another cluster (%s)" % culster)
    return by_id_or_name(state, params, "CulsterId" if culster else "ClusterId")


def _vpc_cni_instance(state, cluster):
    """The add-on view of the cluster's VPC-CNI (setting kce_vpc_cni_as_addon), or None when it is off and settled."""
    cni, phase = cluster["vpc_cni"], cluster["phase"]
    if phase == kce_words.CLUSTER_UPDATING:
        word = kce_words.ADDON_INSTALLING if cni["Enable"] else kce_words.ADDON_DELETING
    elif phase == kce_words.CLUSTER_FAILED:
        word = kce_words.ADDON_FAILED
    elif cni["Enable"]:
        word = kce_words.ADDON_RUNNING
    else:
        return None
    addon = kce_catalogue.by_name(state.settings, kce_catalogue.VPC_CNI)
    return {
        "ClusterId": cluster["id"],
        "AddonId": addon.addon_id,
        "InstanceId": derived_id(cluster["id"], "addon", addon.name),
        "Type": addon.type,
        "ToDelete": not cni["Enable"],
        "Phase": word,
        "CreatedTime": cluster["created"],
        "UpdatedTime": cluster["updated"],
    }


def _view(item):
    return {
        "ClusterId": item["cluster_id"],
        "AddonId": item["addon_id"],
        "InstanceId": item["id"],
        "Type": item["type"],
        "ToDelete": item["to_delete"],
        "Phase": item["phase"],
        "CreatedTime": item["created"],
        "UpdatedTime": item["updated"],
    }


def _tick(state, item):
    """One describe showed ``item``; True when it settled (its phase changed or it is gone)."""
    if item["settle_left"] <= 0:
        return False
    item["settle_left"] -= 1
    if item["settle_left"]:
        return False
    _settle(state, item)
    return True


def _settle(state, item):
    if item["phase"] == kce_words.ADDON_INSTALLING:
        item["phase"] = kce_words.ADDON_RUNNING
    elif item["phase"] == kce_words.ADDON_DELETING:
        if state.settings.kce_deleted_addon_lingers:
            item["phase"] = kce_words.ADDON_DELETED
        else:
            del state.data["kce"]["addons"][item["id"]]


def describe_addon_instances(state, params):
    cluster = _addon_cluster(state, params)
    name = params.str("Name")
    addon_ids = params.list("AddonIds")
    if name and not kce_catalogue.by_name(state.settings, name):
        raise invalid("Name", name, "not an add-on of the catalogue (DescribeAddonList)")
    wanted_id = kce_catalogue.by_name(state.settings, name).addon_id if name else None
    shown = []
    for item in _instances_of(state, cluster):
        if (not wanted_id or item["addon_id"] == wanted_id) and (not addon_ids or item["addon_id"] in addon_ids):
            shown.append(item)
    answer = [_view(i) for i in shown]
    ticks = [_tick(state, i) for i in shown]  # every listed instance counts this answer
    settled = any(ticks)
    if state.settings.kce_vpc_cni_as_addon:
        cni = _vpc_cni_instance(state, cluster)
        if cni and (not wanted_id or cni["AddonId"] == wanted_id) and (not addon_ids or cni["AddonId"] in addon_ids):
            answer.append(cni)
            settled = state.kce_runtime.shown(cluster) or settled
    if settled:
        state.save()
    return {"Data": {"Addons": answer}, "Args": {}}


def _requested(state, cluster, spec, index):
    where = "Addons.%d." % index
    for key, value in spec.items():
        if key not in _ADDON_FIELDS:
            raise invalid(where + key, value, "an add-on item takes %s" % ", ".join(_ADDON_FIELDS))
    name, addon_id = spec.get("Name"), spec.get("AddonId")
    if not name and not addon_id:
        raise missing(where + "Name")
    addon = kce_catalogue.by_name(state.settings, name) if name else kce_catalogue.by_id(state.settings, addon_id)
    if addon is None:
        raise not_found("add-on", name or addon_id)
    if name and addon_id and addon.addon_id != addon_id:
        raise invalid(where + "AddonId", addon_id, "add-on %s has the id %s" % (name, addon.addon_id))
    if addon.name == kce_catalogue.VPC_CNI:
        raise invalid(where + "Name", addon.name, "VPC-CNI is switched with kce2 ModifyCluster VpcCNI")
    version = spec.get("AddonVersion")
    if version and version != addon.version:
        raise invalid(where + "AddonVersion", version, "the catalogue offers %s %s" % (addon.name, addon.version))
    if not kce_catalogue.compatible(addon, cluster["k8s_version"]):
        raise invalid(
            where + "Name",
            addon.name,
            "needs Kubernetes %s..%s, the cluster runs %s" % (addon.k8s_min, addon.k8s_max, cluster["k8s_version"]),
        )
    for item in _instances_of(state, cluster):
        if item["addon_id"] == addon.addon_id and not item["to_delete"]:
            raise ApiError(
                "AddonAlreadyExists",
                "Add-on %s is already installed on cluster %s (instance %s)." % (addon.name, cluster["id"], item["id"]),
            )
    return addon, spec.get("Type") or addon.type, spec.get("Config") or ""


def create_addon_instance(state, params):
    cluster = state.cluster(params.str("ClusterId"))
    specs = params.objects("Addons")
    if not specs:
        raise missing("Addons.1.Name")
    asked = [_requested(state, cluster, spec, index) for index, spec in specs]
    if len({a.addon_id for a, _t, _c in asked}) != len(asked):
        raise invalid("Addons", [a.name for a, _t, _c in asked], "an add-on is named twice")
    settle = _settle_at_once(state)
    ids = []
    for addon, addon_type, config in asked:
        iid, now = state.new_id(), _now()
        item = {
            "id": iid,
            "cluster_id": cluster["id"],
            "addon_id": addon.addon_id,
            "name": addon.name,
            "type": addon_type,
            "version": addon.version,
            "config": config,
            "phase": kce_words.ADDON_INSTALLING,
            "to_delete": False,
            "settle_left": settle,
            "created": now,
            "updated": now,
        }
        state.data["kce"]["addons"][iid] = item
        if not settle:
            _settle(state, item)
        ids.append(iid)
    return {"Data": {"ClusterId": cluster["id"], "InstanceIds": ids}}


def delete_addon_instance(state, params):
    cluster = by_id_or_name(state, params)
    addon_id = params.str("AddonId", required=True)
    instance_id = params.str("InstanceId", required=True)
    item = state.data["kce"]["addons"].get(instance_id)
    if item is None or item["cluster_id"] != cluster["id"]:
        raise not_found("add-on instance", instance_id)
    if item["addon_id"] != addon_id:
        raise invalid("AddonId", addon_id, "instance %s is of add-on %s" % (instance_id, item["addon_id"]))
    if item["to_delete"]:
        raise ApiError(
            "IncorrectAddonInstanceState",
            "Add-on instance %s is already being deleted (ToDelete is true)." % instance_id,
        )
    item.update(to_delete=True, phase=kce_words.ADDON_DELETING, settle_left=_settle_at_once(state), updated=_now())
    if not item["settle_left"]:
        _settle(state, item)
    return {"Data": {}, "ClusterId": cluster["id"], "AddonId": addon_id}
