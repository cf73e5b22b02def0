"""The callback ksyun.kce.job_failure without a server: which message a failed playbook writes on its Job, and when it
writes none. The Job in a real cluster: tests/integration/roles/test_gitops_hooks.py; through Argo CD:
tests/sandbox/test_argocd_hooks.py."""

from types import SimpleNamespace

import pytest

from ansible_collections.ksyun.kce.plugins.callback import job_failure

TASK = "ksyun.kce.fixed_ip_statefulset : Reserve the pinned IPs"
TAKEN = "IP 10.0.0.232 is already kept for pod db/db-0 by PodEniIP db/10.0.0.232; choose another IP"
HIDDEN = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"


class Result:
    """What a callback gets for one task on one host (the underscore names exist from ansible-core 2.17 on)."""

    def __init__(self, result, task=TASK, host="localhost"):
        self._result = result
        self._task = SimpleNamespace(get_name=lambda: task)
        self._host = SimpleNamespace(get_name=lambda: host)


def stats(failures=None, dark=None, hosts=("localhost",)):
    return SimpleNamespace(processed={h: 1 for h in hosts}, failures=failures or {}, dark=dark or {})


class FakeApi:
    """The kubernetes client and config modules, recording the patch."""

    def __init__(self, error=None):
        self.patches, self.loaded, self.error = [], [], error

    def load_incluster_config(self):
        self.loaded.append("in-cluster")

    def load_kube_config(self, config_file=None):
        self.loaded.append(("kubeconfig", config_file))

    def BatchV1Api(self):  # noqa: N802 - the client's name
        return self

    def patch_namespaced_job(self, name, namespace, body, _content_type=None):
        if self.error:
            raise self.error
        self.patches.append((name, namespace, body, _content_type))


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi()
    monkeypatch.setattr(job_failure, "k8s_client", fake)
    monkeypatch.setattr(job_failure, "k8s_config", fake)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG", raising=False)
    return fake


warnings = []


def callback(job="fixed-ip-reserve", job_uid="", namespace="apps"):
    plugin = job_failure.CallbackModule(display=SimpleNamespace(warning=warnings.append, verbosity=0))
    plugin.get_option = {"job": job, "job_uid": job_uid, "namespace": namespace}.get
    return plugin


def test_a_failed_playbook_writes_the_failed_tasks_message_on_its_job(api):
    plugin = callback(job_uid="5f2c7a10-uid")
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": TAKEN}))
    plugin.v2_playbook_on_stats(stats(failures={"localhost": 1}))
    expected = {"metadata": {"annotations": {"kce.ksyun.com/failure": TASK + ": " + TAKEN}, "uid": "5f2c7a10-uid"}}
    assert api.patches == [("fixed-ip-reserve", "apps", expected, "application/merge-patch+json")]
    assert api.loaded == [("kubeconfig", None)]  # outside a pod; in a pod, its ServiceAccount


def test_a_successful_playbook_or_one_outside_a_job_writes_nothing(api):
    plugin = callback()
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": "rescued later"}))
    plugin.v2_playbook_on_stats(stats())  # the failure was rescued: no failed host
    outside = callback(job="")
    outside.v2_runner_on_failed(Result({"failed": True, "msg": TAKEN}))
    outside.v2_playbook_on_stats(stats(failures={"localhost": 1}))
    assert not api.patches and not api.loaded


def test_an_ignored_failure_is_not_the_message_the_last_failure_is(api):
    plugin = callback()
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": "ignored"}, task="probe"), ignore_errors=True)
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": "rescued"}, task="first try"))
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": TAKEN}))
    plugin.v2_playbook_on_stats(stats(failures={"localhost": 1}))
    [(_name, _ns, body, _type)] = api.patches
    assert body["metadata"]["annotations"]["kce.ksyun.com/failure"] == TASK + ": " + TAKEN
    assert "uid" not in body["metadata"]


@pytest.mark.parametrize(
    "result, message",
    [
        ({"failed": True, "msg": "line one\n  line two\tand\r\nthree"}, "line one line two and three"),
        ({"censored": HIDDEN, "changed": False}, HIDDEN),  # a no_log task: Ansible hid its message already
        (
            {"msg": "One or more items failed", "results": [{"msg": "fine"}, {"failed": True, "msg": "item 2: no"}]},
            "item 2: no",
        ),
        ({"msg": "One or more items failed", "results": [{"failed": True, "censored": HIDDEN}]}, HIDDEN),
        ({"failed": True, "rc": 2}, "exit status 2"),
        ({"failed": True}, "failed without a message (see the log)"),
        ({"failed": True, "msg": "x" * 2000}, "x" * 997 + "..."),
    ],
)
def test_the_message_is_one_short_line(result, message):
    assert job_failure.failure_message("", result) == message
    with_task = job_failure.failure_message(TASK, result)
    assert with_task.startswith(TASK + ": ") and len(with_task) <= job_failure.MAX_LENGTH and "\n" not in with_task


def test_an_unreachable_host_and_several_failed_hosts(api):
    plugin = callback()
    plugin.v2_runner_on_unreachable(Result({"unreachable": True, "msg": "ssh: no route"}, task="ping", host="b"))
    plugin.v2_playbook_on_stats(stats(dark={"b": 1}, failures={"a": 1}, hosts=("a", "b")))
    [(_name, _ns, body, _type)] = api.patches
    assert body["metadata"]["annotations"]["kce.ksyun.com/failure"] == "ping: ssh: no route (and 1 more failed hosts)"


def test_a_job_that_cannot_be_patched_is_a_warning_and_nothing_else(api, monkeypatch):
    api.error = type("ApiException", (Exception,), {})()
    api.error.status, api.error.body = 403, '{"message": "jobs.batch \\"fixed-ip-reserve\\" is forbidden"}'
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setattr(job_failure.os.path, "exists", lambda path: path == job_failure.SA_TOKEN)
    del warnings[:]
    plugin = callback()
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": TAKEN}))
    plugin.v2_playbook_on_stats(stats(failures={"localhost": 1}))
    assert api.loaded == ["in-cluster"]
    assert warnings == [
        'ksyun.kce.job_failure: could not annotate Job fixed-ip-reserve: HTTP 403: jobs.batch "fixed-ip-reserve" is '
        "forbidden"
    ]


def test_without_a_namespace_outside_a_pod_it_says_what_to_set(api, monkeypatch):
    monkeypatch.setattr(job_failure, "SA_NAMESPACE", "/nonexistent/namespace")
    del warnings[:]
    plugin = callback(namespace="")
    plugin.v2_runner_on_failed(Result({"failed": True, "msg": TAKEN}))
    plugin.v2_playbook_on_stats(stats(failures={"localhost": 1}))
    assert not api.patches
    assert warnings == [
        "ksyun.kce.job_failure: could not annotate Job fixed-ip-reserve: no namespace: set KSYUN_KCE_JOB_NAMESPACE "
        "(outside a pod)"
    ]
