"""Kubelet + vpc-cni for pods on the sandbox nodes: bind their IPs, report them Running, release IPs, confirm deletions.

One watch thread feeds a keyed work queue; a few workers handle pods (one pod at a time per key, one
flow at a time per node, as a node's CNI would). Each handling is level-triggered: it reads the pod
again and runs the collection's bind or release flow (plugins/module_utils/flows) against the
emulated cloud. Pods without VPC-CNI annotations get an ordinary non-fixed IP of the node's subnet, recorded, like
any shared-mode pod without a fixed IP, by a VpcIP (a PodEniIP with fixed false, logged as such, where the cluster's
CRDs predate VpcIP).

As on a KCE node, the network is set up (and torn down) only while the CNI plugins it takes run on the pod's node
(cni.py: a Ready pod of the VPC-CNI DaemonSet, of the multus DaemonSet for a pod with a multus annotation, and the
NetworkAttachmentDefinition it names); until then the pod stays ContainerCreating with a FailedCreatePodSandBox
event, and it is handled again whenever an add-on pod becomes Ready or goes, or a NetworkAttachmentDefinition
changes (a second watch). DaemonSet pods and hostNetwork pods get the node's IP without any CNI.
"""

import logging
import threading
import time

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError, InvalidPodRequest
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import FIXED_ANNOTATION, may_hold_fixed_ip
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import read_cluster_config
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, get_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunError
from sandbox.node_agent import cni, ee
from sandbox.node_agent.network import PodReplaced, pod_network_writer, write_pending, write_running
from sandbox.node_agent.workqueue import WorkQueue

LOG = logging.getLogger("node-agent")
COMPONENT = "ksyun-vpc-cni"
WORKERS = 4
WATCH_SECONDS = 60
RESYNC_SECONDS = 120
MAX_ATTEMPTS = 5
CONFIG_TTL = 5.0
NAD_POLL_SECONDS = 2.0  # while the NetworkAttachmentDefinition kind is not served (a bare sandbox)


class PodController:
    """Handles every pod scheduled to one of ``nodes`` (name -> NodeSpec)."""

    def __init__(self, kube, cloud_factory, nodes, stop, workers=WORKERS, cloud_changed=None, host_processes=None):
        self.kube, self.cloud_factory, self.nodes, self.stop = kube, cloud_factory, dict(nodes), stop
        # Called after a bind or release that changed the cloud, or failed part way (the device plugin syncs).
        self.cloud_changed = cloud_changed or (lambda: None)
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
        self._plugins = cni.NodePlugins()
        self._custom = client.CustomObjectsApi(kube.client)
        self._waiting = {}  # key -> uid of pods whose network waits for a CNI plugin or a NetworkAttachmentDefinition
        self._generation = 0  # counts add-on and NetworkAttachmentDefinition changes
        self._cni_called = set()  # uids whose network setup reached the CNI (they need a teardown)
        self._pending_written = set()
        # EE pods run as host processes (ee.py): a dict of HostProcesses' directory arguments, or None to treat them
        # as any other pod.
        self.host_processes = (
            ee.HostProcesses(kube, self._host_ip, self.queue.add, self.queue.add_after, **host_processes)
            if host_processes is not None
            else None
        )

    def start(self) -> None:
        threading.Thread(target=self._watch, name="pod-watch", daemon=True).start()
        threading.Thread(target=self._watch_nads, name="nad-watch", daemon=True).start()
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
                    if self._plugins.replace(listed.get("items") or []):
                        self._wake()
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
                    if self._plugins.observe(pod, deleted=event["type"] == "DELETED"):
                        self._wake()
                    if self._ours(pod):
                        self.queue.add(self._remember(pod))
            except Exception as exc:  # noqa: BLE001 - a broken watch is re-listed, never fatal
                LOG.warning("pod watch ended (%s); listing again", exc)
                version = None
                time.sleep(1.0)

    def _watch_nads(self) -> None:
        """Wake the waiting pods whenever a NetworkAttachmentDefinition changes (or the kind starts being served)."""
        args = (cni.NAD_GROUP, cni.NAD_VERSION, cni.NAD_PLURAL)
        while not self.stop.is_set():
            try:
                try:
                    listed = self._custom.list_cluster_custom_object(*args)
                except ApiException as exc:
                    if exc.status != 404:
                        raise
                    self.stop.wait(NAD_POLL_SECONDS)  # the CRD is not installed
                    continue
                self._wake()
                version = listed["metadata"]["resourceVersion"]
                for event in watch.Watch().stream(
                    self._custom.list_cluster_custom_object,
                    *args,
                    resource_version=version,
                    timeout_seconds=WATCH_SECONDS,
                ):
                    if self.stop.is_set() or event["type"] == "ERROR":
                        break
                    self._wake()
            except Exception as exc:  # noqa: BLE001 - a broken watch is re-listed, never fatal
                LOG.warning("network-attachment-definition watch ended (%s); listing again", exc)
                self.stop.wait(1.0)

    def _wake(self) -> None:
        """Something a waiting pod may wait for changed: handle every waiting pod again."""
        with self._guard:
            self._generation += 1
            waiting = list(self._waiting)
        for key in waiting:
            self.queue.add(key)

    # --- the node's CNI plugins -----------------------------------------------------------------

    def _network_problem(self, pod, setup: bool):
        """What keeps the pod's network from being set up (or torn down), in the CNI's words; None when nothing."""
        node = pod["spec"]["nodeName"]
        try:
            network = cni.default_network(pod)
        except ValueError as err:
            network = err
        if network is not None:
            if not self._plugins.running(node, cni.MULTUS):
                return cni.multus_shim(cni.multus_not_running(node), setup)
            if setup and isinstance(network, ValueError):
                return cni.annotation_unreadable(pod, network)
            if setup and not self._nad_exists(*network):
                return cni.nad_missing(pod, *network)
        if not self._plugins.running(node, cni.VPC_CNI):
            return cni.vpc_cni_not_running(node)
        return None

    def _nad_exists(self, namespace: str, name: str) -> bool:
        try:
            self._custom.get_namespaced_custom_object(cni.NAD_GROUP, cni.NAD_VERSION, namespace, cni.NAD_PLURAL, name)
            return True
        except ApiException as exc:
            if exc.status == 404:  # no such object, or the kind is not served
                return False
            raise

    def _plugins_ready(self, key, pod, setup: bool) -> bool:
        """True when the pod's network can be set up (torn down); otherwise the pod waits (a kubelet event, and for a
        setup the ContainerCreating status) until _wake handles it again."""
        uid = pod["metadata"]["uid"]
        with self._guard:
            generation = self._generation
        problem = self._network_problem(pod, setup)
        with self._guard:
            if problem is None:
                self._waiting.pop(key, None)
                return True
            self._waiting[key] = uid
            changed = generation != self._generation
        if changed:  # an add-on or NetworkAttachmentDefinition changed while we looked: look again
            self.queue.add(key)
        node = pod["spec"]["nodeName"]
        if setup:
            message, reason = cni.setup_failed(pod, problem), cni.SETUP_FAILED
            if uid not in self._pending_written:
                try:
                    write_pending(self.kube, pod, uid, self._host_ip(node))
                    self._pending_written.add(uid)
                except PodReplaced:
                    return False
        else:
            message, reason = cni.teardown_failed(pod, problem), cni.TEARDOWN_FAILED
        if self._event(pod, reason, message, component="kubelet"):
            LOG.info("pod %s/%s on node %s waits: %s", key[0], key[1], node, problem)
        return False

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
            with self._guard:
                self._waiting.pop(key, None)
            if last is not None and self.host_processes is not None and ee.is_ee_pod(last):
                self.host_processes.gone(last)
                with self._guard:
                    self._last.pop(key, None)
                return
            if last is not None and self._ours(last) and last["metadata"].get("uid") not in self._released:
                self._release_gone(key, last)
            return
        if not self._ours(pod):
            return
        if self.host_processes is not None and ee.is_ee_pod(pod):
            # A host process in the node's network: no CNI, no cloud call.
            if self.host_processes.handle(key, pod):
                self._released.add(pod["metadata"]["uid"])
                self._confirm_deleted(pod)
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
                self.cloud_changed()
                LOG.info(
                    "pod %s/%s (uid %s) was removed before its release; released: %s",
                    key[0],
                    key[1],
                    uid,
                    (result.reservation or {}).get("phase", "record deleted"),
                )
        except (FixedIpError, KsyunError) as err:
            self.cloud_changed()
            LOG.warning("pod %s/%s was removed; its release failed: %s", key[0], key[1], err)

    def _bind(self, key, pod) -> None:
        meta, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
        uid, node = meta["uid"], spec["nodeName"]
        if uid in self._networked and status.get("podIP"):
            return
        if cni.host_network(pod):
            try:
                write_running(self.kube, pod, uid, self._host_ip(node), self._host_ip(node))
            except PodReplaced as err:
                LOG.info("pod %s/%s: %s", key[0], key[1], err)
                return
            self._networked.add(uid)
            LOG.info("pod %s/%s on node %s: host network, IP %s", key[0], key[1], node, self._host_ip(node))
            return
        if not self._plugins_ready(key, pod, setup=True):
            return
        self._cni_called.add(uid)
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
            self.cloud_changed()
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
        if result.changed:
            self.cloud_changed()
        record = result.reservation or {}
        self._networked.add(uid)
        self._attempts.pop((key, uid), None)
        LOG.info(
            "pod %s/%s on node %s: IP %s (%s, %s, %s)%s",
            key[0],
            key[1],
            node,
            record.get("ip"),
            record.get("mode"),
            "fixed" if record.get("fixed") else "not fixed",
            result.kind or "no record",
            "" if result.changed else " (already in place)",
        )

    def _delete(self, key, pod) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        # A pod whose sandbox was never created (it waited for a plugin all along) has no network to tear down.
        teardown = not cni.host_network(pod) and (uid in self._cni_called or uid not in self._pending_written)
        if teardown and not self._plugins_ready(key, pod, setup=False):
            return
        if teardown:
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
                self.cloud_changed()
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
        self._cni_called.discard(uid)
        self._pending_written.discard(uid)
        self._attempts.pop((key, uid), None)
        self._released.add(uid)
        self._confirm_deleted(pod)
        if teardown:
            self.cloud_changed()  # after the deletion: the pod's request no longer counts either

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

    def _event(self, pod, reason: str, message: str, component: str = COMPONENT) -> bool:
        """A Warning event on the pod, once per pod uid, reason and message; False when it was recorded before."""
        meta = pod["metadata"]
        mark = (meta["uid"], reason, message)
        if mark in self._warned:
            return False
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
            "source": {"component": component, "host": pod["spec"].get("nodeName", "")},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "reportingComponent": component,
            "reportingInstance": pod["spec"].get("nodeName", ""),
        }
        try:
            self._events.create(body=body, namespace=meta["namespace"])
        except Exception as exc:  # noqa: BLE001 - an event is best effort (the namespace may be terminating)
            LOG.warning("pod %s/%s: could not record event %s: %s", meta["namespace"], meta["name"], reason, exc)
        return True
