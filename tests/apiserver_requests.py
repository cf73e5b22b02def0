"""The kube-apiserver's own count of its mutating requests (``apiserver_request_total`` of its /metrics), for tests that
assert a run wrote nothing to the cluster.

The apiserver counts every client, so the modules ansible-playbook runs in processes of their own are counted too (a
counter in the test's process would miss them). Server-side dry runs are counted apart (``dry run``): they change
nothing, but a read-only run has no reason to send one either. What the sandbox writes by itself all the time is left
out: the node agent's and the apiserver's Lease renewals, the node status heartbeats and events.
"""

import time
from collections import Counter

from kubernetes import client, dynamic

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from benchmarks.common import apiserver_request_lines

MUTATING_VERBS = ("POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY")
# "resource[/subresource]" the control plane and the node agent write every few seconds, whoever else runs.
BACKGROUND = ("leases", "nodes/status", "events")


def mutating_requests(api):
    """Counter of "VERB group/resource[/subresource][ (dry run)]" for every mutating request the apiserver counted so
    far, the background left out; api: a kubernetes ApiClient of the cluster."""
    counts = Counter()
    for label, value in apiserver_request_lines(api):
        if label.get("verb") not in MUTATING_VERBS:
            continue
        kind = label.get("resource", "") + ("/" + label["subresource"] if label.get("subresource") else "")
        if kind in BACKGROUND:
            continue
        dry_run = " (dry run)" if label.get("dry_run") else ""
        counts["%s %s/%s%s" % (label["verb"], label.get("group", ""), kind, dry_run)] += value
    return counts


def new_requests(before, after):
    """{key: count} of the requests counted between two mutating_requests snapshots (empty: nothing was written)."""
    return {key: count - before.get(key, 0) for key, count in after.items() if count - before.get(key, 0)}


class ApiserverWrites:
    """``with ApiserverWrites(api) as writes: ...``; afterwards ``writes.counted`` holds what was written meanwhile."""

    def __init__(self, api):
        self.api = api
        self.before = None
        self.counted = None

    def __enter__(self):
        self.before = mutating_requests(self.api)
        return self

    def __exit__(self, *exc):
        self.counted = new_requests(self.before, mutating_requests(self.api))
        return False


def finish_terminating_namespaces(api):
    """Delete the records (PodEni/PodEniIP/VpcIP) that keep a namespace in Terminating, so its deletion ends; returns
    what was deleted. A record outlives its namespace by design until reclaim frees its IP (docs/reclaim.md), and the
    namespace controller keeps retrying the deletion of such a namespace, which a count of writes would see. Only a
    test that ran earlier on the same sandbox can have left one (a test that leaked it, which issue 19's cleanup is to
    name); the emulator's side of such a record is freed by the next Baseline.free_cloud()."""
    core = client.CoreV1Api(api)
    terminating = {ns.metadata.name for ns in core.list_namespace().items if ns.status.phase == "Terminating"}
    if not terminating:
        return []
    store = ReservationStore(dynamic.DynamicClient(api))
    deleted = []
    for stored in store.list():  # one LIST per kind across the cluster, not one per namespace
        if stored.namespace in terminating:
            store.delete(stored)
            deleted.append("%s %s/%s" % (stored.kind, stored.namespace, stored.name))
    return deleted


def wait_until_no_writes(api, wait_for, settle=2.0, timeout=120.0):
    """Wait until no namespace is terminating, no pod is being deleted, and the apiserver counts no new mutating request
    (background left out) for settle seconds: what a test set up (a CRD's conditions, a DaemonSet's pods) and what an
    earlier test tore down (the namespace controller deletes a namespace's objects in rounds, the node agent releases
    its pods) has settled, so a later count is the run's own."""
    core = client.CoreV1Api(api)
    # Named in the timeout's message with what is still busy: a record left by an earlier test shows which one leaked.
    deleted = finish_terminating_namespaces(api)
    busy = {}

    def quiet():
        busy.clear()
        busy["records deleted first"] = deleted
        busy["namespaces terminating"] = [
            ns.metadata.name for ns in core.list_namespace().items if ns.status.phase == "Terminating"
        ]
        busy["pods being deleted"] = [
            "%s/%s" % (pod.metadata.namespace, pod.metadata.name)
            for pod in core.list_pod_for_all_namespaces().items
            if pod.metadata.deletion_timestamp
        ]
        if busy["namespaces terminating"] or busy["pods being deleted"]:
            return False
        before = mutating_requests(api)
        time.sleep(settle)
        busy["writes"] = new_requests(before, mutating_requests(api))
        return not busy["writes"]

    try:
        wait_for("the cluster quiet (no mutating request for %.1fs)" % settle, quiet, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError("%s; still busy: %s" % (exc, busy)) from None
