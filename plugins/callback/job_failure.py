# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A failed playbook's message on the Kubernetes Job it runs in, for Argo CD to show as the hook's message."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: job_failure
type: notification
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: Puts a failed playbook's message on the Kubernetes Job it runs in
description:
  - For playbooks run by a Kubernetes Job, such as the Argo CD hook Jobs of this collection (C(argocd/app/hooks.yaml)).
    When the playbook ends with a failed or unreachable host, the name and message of the task that failed last are
    written, on one line of at most 1000 characters, as the annotation C(kce.ksyun.com/failure) of the Job O(job).
    The playbook's exit status stays what it was (non-zero), so the Job still fails.
  - Argo CD's health check of Jobs that comes with this collection (C(argocd/health/job.lua)) shows the annotation as a
    failed Job's message, so a failed hook's message in the Application's sync result is the playbook's, not only
    C(Job has reached the specified backoff limit).
  - Ansible hides the result of a C(no_log) task from every callback, so its message is never written; the modules of
    this collection never put a secret in a message.
  - Does nothing when O(job) is empty, or when the playbook succeeds. A Job that cannot be patched (no permission, no
    such Job) is a warning, never a failure of its own.
  - The Job's ServiceAccount needs only C(patch) on C(jobs) of C(batch), which may name the Job (C(resourceNames)).
  - Enable it with E(ANSIBLE_CALLBACKS_ENABLED=ksyun.kce.job_failure) beside any stdout callback.
requirements:
  - kubernetes (the Python client)
options:
  job:
    description:
      - The name of the Job the playbook runs in. In the Job's pod template, pass the label the Job controller sets
        on its pods, C(batch.kubernetes.io/job-name), through the downward API (C(fieldRef)).
    type: str
    default: ""
    env:
      - name: KSYUN_KCE_JOB
    ini:
      - section: ksyun_kce_job_failure
        key: job
  job_uid:
    description:
      - The UID of that Job (the pods' label C(batch.kubernetes.io/controller-uid)). When given, a Job of the same name
        that is not this one (created again meanwhile) is left alone.
    type: str
    default: ""
    env:
      - name: KSYUN_KCE_JOB_UID
    ini:
      - section: ksyun_kce_job_failure
        key: job_uid
  namespace:
    description:
      - The Job's namespace. Default, the namespace of the pod's ServiceAccount
        (C(/var/run/secrets/kubernetes.io/serviceaccount/namespace)).
    type: str
    default: ""
    env:
      - name: KSYUN_KCE_JOB_NAMESPACE
    ini:
      - section: ksyun_kce_job_failure
        key: namespace
notes:
  - The API server is reached as the pod's ServiceAccount (in-cluster configuration); outside a pod, with the kubeconfig
    of E(K8S_AUTH_KUBECONFIG) or E(KUBECONFIG).
"""

import json
import os

from ansible.plugins.callback import CallbackBase

try:
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
except ImportError:
    k8s_client = k8s_config = None

ANNOTATION = "kce.ksyun.com/failure"
MAX_LENGTH = 1000
SA_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def one_line(text, limit=MAX_LENGTH):
    """Whitespace (newlines too) collapsed to single spaces, cut at limit characters with an ellipsis."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def result_message(result):
    """The message of a failed task result: its msg, or that of its first failed loop item; never its other fields."""
    if result.get("censored"):
        return result["censored"]
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed") and (item.get("msg") or item.get("censored")):
            return result_message(item)
    if result.get("msg"):
        return result["msg"]
    if result.get("rc") is not None:
        return "exit status %s" % result["rc"]
    return "failed without a message (see the log)"


def failure_message(task_name, result):
    """The annotation's text: `<task>: <message>` on one line."""
    return one_line("%s: %s" % (task_name, result_message(result)) if task_name else result_message(result))


def job_patch(message, uid=""):
    """The merge patch that annotates the Job; with its UID, which the API server refuses to change (a precondition)."""
    metadata = {"annotations": {ANNOTATION: message}}
    if uid:
        metadata["uid"] = uid
    return {"metadata": metadata}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "ksyun.kce.job_failure"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._failures = {}

    def _record(self, result):
        self._failures[result._host.get_name()] = failure_message(result._task.get_name(), result._result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self._record(result)

    def v2_runner_on_unreachable(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        job = self.get_option("job")
        failed = [host for host in sorted(stats.processed) if stats.failures.get(host) or stats.dark.get(host)]
        if not job or not failed:
            return
        host = next((h for h in failed if h in self._failures), None)
        message = self._failures[host] if host else "the playbook failed (see the log)"
        if len(failed) > 1:
            message = one_line("%s (and %d more failed hosts)" % (message, len(failed) - 1))
        try:
            self._annotate(job, message)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            self._display.warning("ksyun.kce.job_failure: could not annotate Job %s: %s" % (job, _error_text(exc)))

    def _annotate(self, job, message):
        if k8s_client is None:
            raise RuntimeError("the Python library kubernetes is not installed")
        namespace = self.get_option("namespace") or _read(SA_NAMESPACE)
        if not namespace:
            raise RuntimeError("no namespace: set KSYUN_KCE_JOB_NAMESPACE (outside a pod)")
        if os.environ.get("KUBERNETES_SERVICE_HOST") and os.path.exists(SA_TOKEN):
            k8s_config.load_incluster_config()
        else:
            k8s_config.load_kube_config(config_file=os.environ.get("K8S_AUTH_KUBECONFIG") or None)
        batch = k8s_client.BatchV1Api()
        body = job_patch(message, self.get_option("job_uid"))
        batch.patch_namespaced_job(job, namespace, body, _content_type="application/merge-patch+json")


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _error_text(exc):
    """The API's reason for an API error (HTTP status and the Status message), else the error's own text."""
    status = getattr(exc, "status", None)
    if status is not None:
        try:
            reason = json.loads(exc.body)["message"]
        except (TypeError, ValueError, KeyError):
            reason = getattr(exc, "body", None) or getattr(exc, "reason", "")
        return "HTTP %s: %s" % (status, one_line(reason, 300))
    return one_line(exc, 300) or type(exc).__name__
