"""What a kubelet does for pods that are deleted on its nodes: confirm the deletion.

Without it a bound pod stays Terminating forever (nothing runs it), which blocks StatefulSet
scale-down and namespace deletion.
"""

import logging

from kubernetes import watch
from kubernetes.client.rest import ApiException


def finish_deletions(core, node_names, stop) -> None:
    """Watch pods on the sandbox nodes; delete with grace 0 the ones that are terminating."""
    nodes = set(node_names)
    while not stop.is_set():
        w = watch.Watch()
        try:
            for event in w.stream(core.list_pod_for_all_namespaces, timeout_seconds=30):
                pod = event["object"]
                if stop.is_set():
                    break
                if pod.spec.node_name in nodes and pod.metadata.deletion_timestamp and event["type"] != "DELETED":
                    _confirm_deleted(core, pod)
        except ApiException as e:
            logging.warning("pod watch ended: %s", e.reason)
        finally:
            w.stop()


def _confirm_deleted(core, pod) -> None:
    try:
        # The body's DeleteOptions win over query parameters, so the grace period goes in the body too.
        core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace,
                                   body={"gracePeriodSeconds": 0, "preconditions": {"uid": pod.metadata.uid}})
        logging.info("pod %s/%s deleted on node %s", pod.metadata.namespace, pod.metadata.name, pod.spec.node_name)
    except ApiException as e:
        if e.status not in (404, 409):
            raise
