"""Kubelet + vpc-cni for pods on the sandbox nodes: bind their IPs, report them Running, release IPs, confirm deletions.

One watch thread feeds a keyed work queue; a few workers handle pods (one pod at a time per key, one
flow at a time per node, as a node's CNI would). Each handling is level-triggered: it reads the pod
again and runs the collection's bind or release flow (plugins/module_utils/flows) against the
emulated cloud. Pods without VPC-CNI annotations get an ordinary non-fixed IP of the node's subnet.
"""

import logging
import threading
import time

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError, InvalidPodRequest
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import FIXED_ANNOTATION, may_hold_fixed_ip
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import read_cluster_config
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, get_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunError
from sandbox.node_agent.network import PodReplaced, pod_network_writer, write_running
from sandbox.node_agent.workqueue import WorkQueue

LOG = logging.getLogger("node-agent")
COMPONENT = "ksyun-vpc-cni"
WORKERS = 4
WATCH_SECONDS = 60
RESYNC_SECONDS = 120
MAX_ATTEMPTS = 5
CONFIG_TTL = 5.0


class PodController:
    """Handles every pod scheduled to one of ``nodes`` (name -> NodeSpec)."""

    def __init__(self, kube, cloud_factory, nodes, stop, workers=WORKERS):
        self.kube, self.cloud_factory, self.nodes, self.stop = kube, cloud_factory, dict(nodes), stop
        self.queue = WorkQueue()
        self.workers = workers
        self._pods = kube.resources.get(api_version="v1", kind="Pod")
        self._events = kube.resources.get(api_version="v1", kind="Event")
        self._last = {}
        self._networked = set()
        self._released = set()
        self._warned = set()
        self._attempts = {}
        self._node_locks = {name: threading.Lock() for name in self.nodes}
        self._local = threading.local()
        self._config = (0.0, None)
        self._guard = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._watch, name="pod-watch", daemon=True).start()
        for number in range(self.workers):
            threading.Thread(target=self._work, name=f"pod-worker-{number}", daemon=True).start()

    # --- watching -------------------------------------------------------------------------------

    def _ours(self, pod: dict) -> bool:
        return (pod.get("spec") or {}).get("nodeName") in self.nodes

    def _remember(self, pod: dict) -> tuple:
        meta = pod.get("metadata") or {}
        key = (meta.get("namespace"), meta.get("name"))
        with self._guard:
            self._last[key] = pod
        return key

    def _watch(self) -> None:
        version, listed_at = None, 0.0
        while not self.stop.is_set():
            try:
                if version is None or time.monotonic() - listed_at > RESYNC_SECONDS:
                    listed = as_dict(self._pods.get())
                    version, listed_at = listed["metadata"]["resourceVersion"], time.monotonic()
                    for pod in listed.get("items") or []:
                        if self._ours(pod):
                            self.queue.add(self._remember(pod))
                for event in self._pods.watch(resource_version=version, timeout=WATCH_SECONDS):
                    if self.stop.is_set():
                        return
                    pod = event["raw_object"]
                    if event["type"] == "ERROR":
                        version = None
                        break
                    version = (pod.get("metadata") or {}).get("resourceVersion") or version
                    if self._ours(pod):
                        self.queue.add(self._remember(pod))
            except Exception as exc:  # noqa: BLE001 - a broken watch is re-listed, never fatal
                LOG.warning("pod watch ended (%s); listing again", exc)
                version = None
                time.sleep(1.0)

    # --- working --------------------------------------------------------------------------------

    def _work(self) -> None:
        while not self.stop.is_set():
            key = self.queue.get()
            if key is None:
                return
            try:
                self._handle(key)
            except Exception as exc:  # noqa: BLE001 - one pod's failure must not stop the worker
                LOG.exception("pod %s/%s: unexpected failure: %s", key[0], key[1], exc)
                self._retry(key, None)
            finally:
                self.queue.done(key)

    def _retry(self, key, uid) -> bool:
        """Queue the pod again with backoff; False once it has failed MAX_ATTEMPTS times for this uid."""
        attempt = self._attempts.get((key, uid), 0) + 1
        self._attempts[(key, uid)] = attempt
        if attempt >= MAX_ATTEMPTS:
            return False
        self.queue.add_after(key, min(0.5 * 2**attempt, 8.0))
        return True

    def _flows(self) -> FlowContext:
        cloud = getattr(self._local, "cloud", None)
        if cloud is None:
            cloud = self._local.cloud = self.cloud_factory()
        read_at, config = self._config
        if config is None or time.monotonic() - read_at > CONFIG_TTL:
            config = read_cluster_config(self.kube)
            self._config = (time.monotonic(), config)
        return FlowContext(
            self.kube,
            cloud,
            config,
            pod_network=pod_network_writer(self.kube, self._host_ip),
            identity=f"node-agent/{threading.current_thread().name}",
            lock_timeout=30.0,
            retry_delay=0.3,
            eni_wait_timeout=30.0,
            eni_wait_interval=0.1,
            log=LOG.info,
        )

    def _host_ip(self, node_name: str) -> str:
        spec = self.nodes.get(node_name)
        return spec.internal_ip if spec else node_name

    def _handle(self, key) -> None:
        namespace, name = key
        pod = get_or_none(self.kube, "v1", "Pod", name, namespace)
        with self._guard:
            last = self._last.get(key)
        if pod is None:
            if last is not None and self._ours(last) and last["metadata"].get("uid") not in self._released:
                self._release_gone(key, last)
            return
        if not self._ours(pod):
            return
        node = pod["spec"]["nodeName"]
        with self._node_locks[node]:
            if (pod.get("metadata") or {}).get("deletionTimestamp"):
                self._delete(key, pod)
            elif (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                self._bind(key, pod)

    def _release_gone(self, key, last) -> None:
        """A pod removed without us (force-deleted): release what its record still holds."""
        uid = last["metadata"].get("uid")
        with self._guard:
            self._last.pop(key, None)
        if uid in self._networked:
            self._networked.discard(uid)
        try:
            result = release_pod(self._flows(), key[0], key[1], pod=last)
            if result.changed:
                LOG.info(
                    "pod %s/%s (uid %s) was removed before its release; released: %s",
                    key[0],
                    key[1],
                    uid,
                    (result.reservation or {}).get("phase", "record deleted"),
                )
        except (FixedIpError, KsyunError) as err:
            LOG.warning("pod %s/%s was removed; its release failed: %s", key[0], key[1], err)

    def _bind(self, key, pod) -> None:
        meta, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
        uid, node = meta["uid"], spec["nodeName"]
        if uid in self._networked and status.get("podIP"):
            return
        if spec.get("hostNetwork"):
            write_running(self.kube, pod, uid, self._host_ip(node), self._host_ip(node))
            self._networked.add(uid)
            LOG.info("pod %s/%s on node %s: host network, IP %s", key[0], key[1], node, self._host_ip(node))
            return
        snapshot = pod_snapshot(pod)
        try:
            result = bind_pod(self._flows(), key[0], key[1], ordinary_as_shared=True)
        except InvalidPodRequest as err:
            self._event(pod, "InvalidVpcCniRequest", str(err))
            LOG.warning("pod %s/%s: %s", key[0], key[1], err)
            return
        except PodReplaced as err:
            LOG.info("pod %s/%s: %s", key[0], key[1], err)
            return
        except (FixedIpError, KsyunError) as err:
            self._event(pod, "FailedIPAllocation", str(err))
            retried = self._retry(key, uid)
            LOG.warning(
                "pod %s/%s on node %s: no IP: %s%s",
                key[0],
                key[1],
                node,
                err,
                "; will retry" if retried else "; giving up",
            )
            return
        fixed_refused = snapshot.annotations.get(
            FIXED_ANNOTATION, ""
        ).strip().lower() == "true" and not may_hold_fixed_ip(snapshot)
        for text in result.warnings:
            self._event(pod, "FixedIPNotSupported" if fixed_refused and "fixed IP" in text else "VpcCniWarning", text)
        record = result.reservation or {}
        self._networked.add(uid)
        self._attempts.pop((key, uid), None)
        LOG.info(
            "pod %s/%s on node %s: IP %s (%s, %s)%s",
            key[0],
            key[1],
            node,
            record.get("ip"),
            record.get("mode"),
            "fixed" if record.get("fixed") else "not fixed",
            "" if result.changed else " (already in place)",
        )

    def _delete(self, key, pod) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        if not pod["spec"].get("hostNetwork"):
            try:
                result = release_pod(self._flows(), key[0], key[1])
                record = result.reservation
                if not result.changed:
                    outcome = result.reason or "nothing to release"
                elif record:
                    outcome = "IP %s kept (%s)" % (record.get("ip"), record.get("phase"))
                else:
                    outcome = "IP released"
                LOG.info("pod %s/%s deleted: %s", key[0], key[1], outcome)
            except (FixedIpError, KsyunError) as err:
                if self._retry(key, uid):
                    LOG.warning("pod %s/%s: release failed, will retry: %s", key[0], key[1], err)
                    return
                self._event(pod, "FailedIPRelease", str(err))
                LOG.warning(
                    "pod %s/%s: release failed %d times, completing the deletion anyway: %s",
                    key[0],
                    key[1],
                    MAX_ATTEMPTS,
                    err,
                )
        self._networked.discard(uid)
        self._attempts.pop((key, uid), None)
        self._released.add(uid)
        self._confirm_deleted(pod)

    def _confirm_deleted(self, pod) -> None:
        meta = pod["metadata"]
        try:
            # The body's DeleteOptions win over query parameters, so the grace period goes in the body.
            self._pods.delete(
                name=meta["name"],
                namespace=meta["namespace"],
                body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
            )
            LOG.info("pod %s/%s deleted on node %s", meta["namespace"], meta["name"], pod["spec"]["nodeName"])
        except Exception as exc:  # noqa: BLE001 - gone already (404) or replaced (409) is fine
            if getattr(exc, "status", None) not in (404, 409):
                raise

    def _event(self, pod, reason: str, message: str) -> None:
        """A Warning event on the pod, once per pod uid, reason and message."""
        meta = pod["metadata"]
        mark = (meta["uid"], reason, message)
        if mark in self._warned:
            return
        self._warned.add(mark)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Pod",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
            "reason": reason,
            "message": message[:1024],
            "type": "Warning",
            "count": 1,
            "source": {"component": COMPONENT, "host": pod["spec"].get("nodeName", "")},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "reportingComponent": COMPONENT,
            "reportingInstance": pod["spec"].get("nodeName", ""),
        }
        try:
            self._events.create(body=body, namespace=meta["namespace"])
        except Exception as exc:  # noqa: BLE001 - an event is best effort (the namespace may be terminating)
            LOG.warning("pod %s/%s: could not record event %s: %s", meta["namespace"], meta["name"], reason, exc)
