"""What a kubelet reports once a pod's network is in place: Running and Ready with its IP (pods/status).

Every status write is a JSON patch whose first operation tests the pod's uid, so a pod re-created
under the same name never gets the old pod's network.
"""

import datetime

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError

JSON_PATCH = "application/json-patch+json"


class PodReplaced(FixedIpError):
    """The pod's uid is no longer the one the network was set up for (or the status write was refused)."""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def running_status(pod: dict, ip: str, host_ip: str) -> dict:
    """The pod's status as a kubelet reports a started pod (KWOK's pod-ready stage, reference §3.4)."""
    now = _now()
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    status = dict(pod.get("status") or {})
    started = status.get("startTime") or now
    conditions = [
        {"type": kind, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
        for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    uid = (meta.get("uid") or "")[:8]
    containers = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": f"sandbox://{uid}-{c['name']}",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": started}},
        }
        for c in spec.get("containers") or []
    ]
    inits = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": f"sandbox://{uid}-{c['name']}",
            "ready": True,
            "restartCount": 0,
            "state": {
                "terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": started}
            },
        }
        for c in spec.get("initContainers") or []
    ]
    status.update(
        phase="Running",
        podIP=ip,
        podIPs=[{"ip": ip}],
        hostIP=host_ip,
        hostIPs=[{"ip": host_ip}],
        startTime=started,
        conditions=conditions,
        containerStatuses=containers,
    )
    if inits:
        status["initContainerStatuses"] = inits
    return status


def write_running(kube, pod: dict, uid: str, ip: str, host_ip: str) -> None:
    """Patch pods/status to Running/Ready with ip, only if the pod still has this uid."""
    meta = pod.get("metadata") or {}
    body = [
        {"op": "test", "path": "/metadata/uid", "value": uid},
        {"op": "replace", "path": "/status", "value": running_status(pod, ip, host_ip)},
    ]
    pods = kube.resources.get(api_version="v1", kind="Pod")
    try:
        pods.status.patch(body=body, name=meta.get("name"), namespace=meta.get("namespace"), content_type=JSON_PATCH)
    except Exception as exc:  # the dynamic client's UnprocessibleEntityError / NotFoundError
        if getattr(exc, "status", None) in (404, 422):
            raise PodReplaced(
                f"pod {meta.get('namespace')}/{meta.get('name')} no longer has uid {uid} (re-created or deleted), "
                f"so its status was not set to IP {ip}: {getattr(exc, 'summary', lambda: exc)()}"
            ) from exc
        raise


def pod_network_writer(kube, host_ip_of):
    """The flows' SetPodNetwork writer: Running/Ready with the planned IP on the pod's node (host_ip_of(node name))."""

    def write(action, pod):
        node = (pod.get("spec") or {}).get("nodeName", "")
        write_running(kube, pod, action.uid, action.ip, host_ip_of(node))

    return write


def pending_status(pod: dict, host_ip: str) -> dict:
    """The status a kubelet reports while it cannot create the pod's sandbox: Pending, containers ContainerCreating
    (init containers PodInitializing first), no IP."""
    now = _now()
    spec = pod.get("spec") or {}
    status = dict(pod.get("status") or {})
    inits, containers = spec.get("initContainers") or [], spec.get("containers") or []

    def condition(kind, ok, reason=None, message=None):
        found = {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": now}
        if reason:
            found.update(reason=reason, message=message)
        return found

    names = ", ".join(c["name"] for c in containers)
    conditions = [
        condition("PodReadyToStartContainers", False),
        condition(
            "Initialized",
            not inits,
            *(
                ("ContainersNotInitialized", f"containers with incomplete status: [{inits[0]['name']}]")
                if inits
                else ()
            ),
        ),
        condition("Ready", False, "ContainersNotReady", f"containers with unready status: [{names}]"),
        condition("ContainersReady", False, "ContainersNotReady", f"containers with unready status: [{names}]"),
        condition("PodScheduled", True),
    ]

    def container_status(c, reason):
        return {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": {"waiting": {"reason": reason}},
        }

    status.update(
        phase="Pending",
        hostIP=host_ip,
        hostIPs=[{"ip": host_ip}],
        startTime=status.get("startTime") or now,
        conditions=conditions,
        containerStatuses=[
            container_status(c, "PodInitializing" if inits else "ContainerCreating") for c in containers
        ],
    )
    if inits:
        status["initContainerStatuses"] = [container_status(c, "PodInitializing") for c in inits]
    return status


def write_pending(kube, pod: dict, uid: str, host_ip: str) -> None:
    """Patch pods/status to Pending/ContainerCreating, only if the pod still has this uid (else PodReplaced)."""
    meta = pod.get("metadata") or {}
    body = [
        {"op": "test", "path": "/metadata/uid", "value": uid},
        {"op": "replace", "path": "/status", "value": pending_status(pod, host_ip)},
    ]
    pods = kube.resources.get(api_version="v1", kind="Pod")
    try:
        pods.status.patch(body=body, name=meta.get("name"), namespace=meta.get("namespace"), content_type=JSON_PATCH)
    except Exception as exc:  # the dynamic client's UnprocessibleEntityError / NotFoundError
        if getattr(exc, "status", None) in (404, 422):
            raise PodReplaced(f"pod {meta.get('namespace')}/{meta.get('name')} no longer has uid {uid}") from exc
        raise
