"""What a KCE node's pod network depends on, and the kubelet's words when it is missing.

A node's CNI chain is multus (thick: a daemon per node, kube-system/kube-multus-ds) in front of VPC-CNI (the
add-on's daemon, kube-system/ksyun-vpc-cni). The node agent sets up a pod's network only while the plugins it needs
have a Ready pod of their DaemonSet on the pod's node:

- every pod needs VPC-CNI;
- a pod with the annotation ``v1.multus-cni.io/default-network`` needs multus as well, and the
  NetworkAttachmentDefinition the annotation names (``namespace/name``; a bare name is in kube-system, multus's
  namespace) when its network is set up.

DaemonSet pods and ``hostNetwork: true`` pods use the node's network: no CNI is involved.
"""

import json
import re
import threading

ADDON_NAMESPACE = "kube-system"
VPC_CNI = "vpc-cni"
MULTUS = "multus"
# Pod template labels of the add-ons' DaemonSets (the vpc_cni and multus roles create exactly these).
DAEMONSET_LABELS = {
    VPC_CNI: {"app.kubernetes.io/name": "ksyun-vpc-cni"},
    MULTUS: {"app": "multus", "name": "multus"},
}
DAEMONSETS = {VPC_CNI: "ksyun-vpc-cni", MULTUS: "kube-multus-ds"}
NETWORK_ANNOTATION = "v1.multus-cni.io/default-network"
NAD_GROUP, NAD_VERSION, NAD_PLURAL = "k8s.cni.cncf.io", "v1", "network-attachment-definitions"
NAD_KIND = "NetworkAttachmentDefinition"

SETUP_FAILED = "FailedCreatePodSandBox"
TEARDOWN_FAILED = "FailedKillPod"

# multus's own pattern for one element of a network selection annotation: [namespace/]name[@interface].
_ELEMENT = re.compile(r"^(?:([a-z0-9]([-a-z0-9]*[a-z0-9])?)/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(@[^@/]+)?$")


def controller_kind(pod: dict):
    for ref in (pod.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("kind")
    return None


def host_network(pod: dict) -> bool:
    """DaemonSet pods and hostNetwork pods run in the node's network (the sandbox runs no container of its own)."""
    return bool((pod.get("spec") or {}).get("hostNetwork")) or controller_kind(pod) == "DaemonSet"


def addon_of(pod: dict):
    """VPC_CNI or MULTUS for a pod of one of the add-ons' DaemonSets, else None."""
    meta = pod.get("metadata") or {}
    if meta.get("namespace") != ADDON_NAMESPACE or controller_kind(pod) != "DaemonSet":
        return None
    labels = meta.get("labels") or {}
    for addon, wanted in DAEMONSET_LABELS.items():
        if all(labels.get(key) == value for key, value in wanted.items()):
            return addon
    return None


def ready(pod: dict) -> bool:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    if meta.get("deletionTimestamp") or status.get("phase") != "Running":
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def default_network(pod: dict):
    """(namespace, name) of the NetworkAttachmentDefinition the pod's annotation names, None without the annotation;
    ValueError (with multus's wording) when it cannot be read."""
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(NETWORK_ANNOTATION)
    if value is None:
        return None
    text = value.strip()
    if text.startswith("["):
        try:
            elements = [(e.get("namespace") or ADDON_NAMESPACE, e["name"]) for e in json.loads(text)]
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            raise ValueError(
                f"failed to parse CRD object: failed to parse pod Network Attachment Selection Annotation JSON format: {err}"
            ) from None
    else:
        elements = []
        for item in filter(None, (part.strip() for part in text.split(","))):
            match = _ELEMENT.match(item)
            if not match:
                raise ValueError(
                    f"failed to parse CRD object: parsePodNetworkAnnotation: invalid network selection: {item!r}"
                )
            elements.append((match.group(1) or ADDON_NAMESPACE, match.group(3)))
    if len(elements) != 1:
        raise ValueError(
            f"more than one default network is specified: {value}" if elements else f"no network is named in {value!r}"
        )
    return elements[0]


class NodePlugins:
    """Which add-on has a Ready DaemonSet pod on which node, from the pods the agent sees (pod uid sets)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ready = {}  # (node, addon) -> {uid}

    def observe(self, pod: dict, deleted: bool = False) -> bool:
        """Take one pod's new state; True when a node gained or lost a Ready add-on pod."""
        addon = addon_of(pod)
        if addon is None:
            return False
        node = (pod.get("spec") or {}).get("nodeName")
        uid = (pod.get("metadata") or {}).get("uid")
        with self._lock:
            uids = self._ready.setdefault((node, addon), set())
            before = bool(uids)
            if ready(pod) and not deleted:
                uids.add(uid)
            else:
                uids.discard(uid)
            return before != bool(uids)

    def replace(self, pods) -> bool:
        """Start again from a full listing; True when anything changed."""
        fresh = {}
        for pod in pods:
            if addon_of(pod) and ready(pod):
                fresh.setdefault((pod["spec"].get("nodeName"), addon_of(pod)), set()).add(pod["metadata"]["uid"])
        with self._lock:
            changed = {k for k, v in self._ready.items() if v} != set(fresh)
            self._ready = fresh
        return changed

    def running(self, node: str, addon: str) -> bool:
        with self._lock:
            return bool(self._ready.get((node, addon)))


def _sandbox_id(pod: dict) -> str:
    return ((pod.get("metadata") or {}).get("uid") or "").replace("-", "")[:12]


def setup_failed(pod: dict, problem: str) -> str:
    """The kubelet's FailedCreatePodSandBox message around the CNI's error."""
    return (
        "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "
        f'"{_sandbox_id(pod)}": {problem}'
    )


def teardown_failed(pod: dict, problem: str) -> str:
    """The kubelet's FailedKillPod message around the CNI's error."""
    meta = pod.get("metadata") or {}
    return (
        f'error killing pod: failed to "KillPodSandbox" for "{meta.get("uid")}" with KillPodSandboxError: '
        f'"rpc error: code = Unknown desc = failed to destroy network for sandbox \\"{_sandbox_id(pod)}\\": {problem}"'
    )


def multus_shim(problem: str, setup: bool = True) -> str:
    verb, command = ("add", "CmdAdd") if setup else ("delete", "CmdDel")
    return f'plugin type="multus-shim" name="multus-cni-network" failed ({verb}): {command} (shim): {problem}'


def multus_not_running(node: str) -> str:
    return (
        f"multus is not running on node {node} (no Ready pod labelled app=multus of a DaemonSet in {ADDON_NAMESPACE}): "
        "dial unix /run/multus/multus.sock: connect: no such file or directory"
    )


def vpc_cni_not_running(node: str) -> str:
    return (
        f"network plugin is not ready: vpc-cni is not running on node {node} "
        f"(no Ready pod labelled app.kubernetes.io/name=ksyun-vpc-cni of a DaemonSet in {ADDON_NAMESPACE})"
    )


def nad_missing(pod: dict, namespace: str, name: str) -> str:
    meta = pod.get("metadata") or {}
    return multus_shim(
        f"CNI request failed with status 400: '[{meta.get('namespace')}/{meta.get('name')}:{meta.get('uid')}]: "
        "error loading k8s delegates k8s args: TryLoadPodDelegates: error in loading K8s cluster default network "
        "from pod annotation: tryLoadK8sPodDefaultNetwork: failed getting the delegate: getKubernetesDelegate: "
        f"cannot find a network-attachment-definition ({name}) in namespace ({namespace}): "
        f'{NAD_PLURAL}.{NAD_GROUP} "{name}" not found\''
    )


def annotation_unreadable(pod: dict, err: ValueError) -> str:
    meta = pod.get("metadata") or {}
    return multus_shim(
        f"CNI request failed with status 400: '[{meta.get('namespace')}/{meta.get('name')}:{meta.get('uid')}]: "
        "error loading k8s delegates k8s args: TryLoadPodDelegates: error in loading K8s cluster default network "
        f"from pod annotation: tryLoadK8sPodDefaultNetwork: {err}'"
    )
