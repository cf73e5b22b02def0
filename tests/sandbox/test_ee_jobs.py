"""Pods of the collection's EE image run as host processes on the sandbox nodes (sandbox/node_agent/ee.py), so Jobs
(Argo CD hooks) complete, fail and retry as on a real node under the real kube-controller-manager.

Each Job's process reaches the API server in-cluster: its ServiceAccount token (a TokenRequest bound to the pod) is
mounted at the ServiceAccount path in the process's own mount namespace, KUBERNETES_SERVICE_HOST/PORT name the sandbox
API server, and there is no kubeconfig.
"""

import json
import time
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.node_agent.ee import EE_IMAGE, SA_MOUNT

pytestmark = pytest.mark.controlplane

# Reads ConfigMap cfg in the pod's namespace with kubernetes.core (in-cluster: no kubeconfig, no host, no token given).
PLAYBOOK = """
- name: read a ConfigMap in-cluster
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: read it with the pod's ServiceAccount
      kubernetes.core.k8s_info:
        kind: ConfigMap
        namespace: "{{ lookup('ansible.builtin.env', 'POD_NAMESPACE') }}"
        name: cfg
      register: found
    - name: show what it holds
      ansible.builtin.debug:
        msg: "greeting={{ found.resources[0].data.greeting }}"
"""


@pytest.fixture(scope="module")
def batch(kube):
    return client.BatchV1Api(kube)


@pytest.fixture(scope="module")
def rbac(kube):
    return client.RbacAuthorizationV1Api(kube)


def _container(command, args=(), env=(), env_from=()):
    container = {"name": "run", "image": EE_IMAGE, "command": list(command), "args": list(args)}
    if env:
        container["env"] = list(env)
    if env_from:
        container["envFrom"] = list(env_from)
    return container


def _job(name, container, account="default", backoff_limit=0, deadline=None, restart="Never"):
    spec = {
        "backoffLimit": backoff_limit,
        "template": {
            "spec": {"serviceAccountName": account, "restartPolicy": restart, "containers": [container]},
        },
    }
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def _pod(name, container, grace=None):
    spec = {"restartPolicy": "Never", "containers": [container]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _account(core, rbac, ns, name, may_read_configmaps):
    core.create_namespaced_service_account(ns, {"metadata": {"name": name}})
    if may_read_configmaps:
        rule = {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}
        rbac.create_namespaced_role(ns, {"metadata": {"name": name}, "rules": [rule]})
        rbac.create_namespaced_role_binding(
            ns,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}],
            },
        )


def _job_condition(batch, ns, name):
    """(type, reason) of the Job's Complete or Failed condition once it is True, else None."""
    job = batch.read_namespaced_job(name, ns)
    for condition in job.status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return condition.type, condition.reason
    return None


def _job_pods(core, ns, name):
    return core.list_namespaced_pod(ns, label_selector=f"job-name={name}").items


def _terminated(pod):
    [status] = pod.status.container_statuses
    return status.state.terminated


def _log(sandbox_state, pod, container="run", restarts=0):
    meta = pod.metadata
    path = Path(sandbox_state["logs"], "pods", f"{meta.namespace}_{meta.name}_{meta.uid}", container, f"{restarts}.log")
    return path.read_text(encoding="utf-8")


def _playbook(tmp_path):
    path = tmp_path / "read-configmap.yml"
    path.write_text(PLAYBOOK, encoding="utf-8")
    return path


NAMESPACE_ENV = {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}


def test_a_job_reads_a_configmap_in_cluster_with_its_service_account_token_and_completes(
    core, batch, rbac, namespace, sandbox_state, wait_for, tmp_path
):
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "cfg"}, "data": {"greeting": "ni hao"}})
    _account(core, rbac, namespace, "hook", may_read_configmaps=True)
    container = _container(["ansible-playbook", str(_playbook(tmp_path))], env=[NAMESPACE_ENV])
    batch.create_namespaced_job(namespace, _job("presync", container, account="hook"))

    assert wait_for("job presync to finish", lambda: _job_condition(batch, namespace, "presync"), timeout=120) == (
        "Complete",
        "CompletionsReached",
    )
    [pod] = _job_pods(core, namespace, "presync")
    assert pod.status.phase == "Succeeded"
    terminated = _terminated(pod)
    assert (terminated.exit_code, terminated.reason) == (0, "Completed")
    log = _log(sandbox_state, pod)
    assert "greeting=ni hao" in log
    assert "greeting=ni hao" in terminated.message  # the last lines of output
    # The token was mounted in the process's own mount namespace only.
    assert not Path(SA_MOUNT, "token").exists()


def test_a_job_whose_account_may_not_read_is_refused_and_fails_after_its_backoff_limit(
    core, batch, rbac, namespace, wait_for, tmp_path
):
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "cfg"}, "data": {"greeting": "ni hao"}})
    _account(core, rbac, namespace, "hook", may_read_configmaps=False)
    container = _container(["ansible-playbook", str(_playbook(tmp_path))], env=[NAMESPACE_ENV])
    batch.create_namespaced_job(namespace, _job("presync", container, account="hook", backoff_limit=1))

    assert wait_for("job presync to fail", lambda: _job_condition(batch, namespace, "presync"), timeout=180) == (
        "Failed",
        "BackoffLimitExceeded",
    )
    pods = _job_pods(core, namespace, "presync")
    assert len(pods) == 2  # the first try and one retry (backoffLimit 1)
    for pod in pods:
        assert pod.status.phase == "Failed"
        terminated = _terminated(pod)
        assert (terminated.exit_code, terminated.reason) == (2, "Error")  # ansible-playbook: a task failed
        assert "403" in terminated.message and "forbidden" in terminated.message.lower()
        assert f"system:serviceaccount:{namespace}:hook" in terminated.message


def test_env_and_env_from_secrets_configmaps_and_pod_fields_arrive(core, namespace, wait_for):
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "settings"}, "data": {"REGION": "cn-beijing-6"}})
    core.create_namespaced_secret(
        namespace,
        {"metadata": {"name": "ksyun"}, "stringData": {"KSYUN_ACCESS_KEY_ID": "AKLT1", "secret": "s3cr3t"}},
    )
    env = [
        {"name": "KSYUN_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": "ksyun", "key": "secret"}}},
        {"name": "ZONE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "REGION"}}},
        {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        NAMESPACE_ENV,
        {"name": "WHERE", "value": "$(POD).$(POD_NAMESPACE)"},
        {"name": "NOPE", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "x", "optional": True}}},
    ]
    env_from = [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}, {"secretRef": {"name": "ksyun"}}]
    names = [
        "KSYUN_ACCESS_KEY_ID",
        "KSYUN_SECRET_ACCESS_KEY",
        "CFG_REGION",
        "ZONE",
        "POD",
        "POD_NAMESPACE",
        "WHERE",
        "NOPE",
        "KUBERNETES_SERVICE_HOST",
        "KUBECONFIG",
    ]
    script = "import json, os, sys; print(json.dumps({n: os.environ.get(n) for n in sys.argv[1:]}))"
    container = _container(["python", "-c", script], args=["$(POD)", *names], env=env, env_from=env_from)
    core.create_namespaced_pod(namespace, _pod("env", container))

    pod = wait_for("pod env to finish", lambda: _finished(core, namespace, "env"))
    terminated = _terminated(pod)
    assert (pod.status.phase, terminated.exit_code) == ("Succeeded", 0), terminated.message
    seen = json.loads(terminated.message)
    assert seen == {
        "env": None,  # "$(POD)" in args was expanded to the pod's name, an unset variable here
        "KSYUN_ACCESS_KEY_ID": "AKLT1",
        "KSYUN_SECRET_ACCESS_KEY": "s3cr3t",
        "CFG_REGION": "cn-beijing-6",
        "ZONE": "cn-beijing-6",
        "POD": "env",
        "POD_NAMESPACE": namespace,
        "WHERE": f"env.{namespace}",
        "NOPE": None,
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBECONFIG": None,
    }


def test_a_missing_secret_keeps_the_container_waiting_until_it_exists(core, namespace, wait_for):
    env = [{"name": "S", "valueFrom": {"secretKeyRef": {"name": "later", "key": "value"}}}]
    script = "import os; print('S=' + os.environ['S'])"
    core.create_namespaced_pod(namespace, _pod("waits", _container(["python", "-c", script], env=env)))

    def waiting():
        statuses = core.read_namespaced_pod("waits", namespace).status.container_statuses or []
        return [s.state.waiting for s in statuses if s.state.waiting]

    [state] = wait_for("pod waits to wait for its Secret", waiting)
    assert (state.reason, state.message) == ("CreateContainerConfigError", 'secret "later" not found')
    assert core.read_namespaced_pod("waits", namespace).status.phase == "Pending"
    core.create_namespaced_secret(namespace, {"metadata": {"name": "later"}, "stringData": {"value": "here"}})
    pod = wait_for("pod waits to finish", lambda: _finished(core, namespace, "waits"))
    assert (pod.status.phase, _terminated(pod).message) == ("Succeeded", "S=here")


def _finished(core, ns, name):
    pod = core.read_namespaced_pod(name, ns)
    return pod if pod.status.phase in ("Succeeded", "Failed") else None


def test_a_non_zero_exit_fails_the_pod_with_that_exit_code_and_the_job(core, batch, namespace, wait_for):
    container = _container(["sh", "-c", "echo first; echo 'something broke' >&2; exit 3"])
    batch.create_namespaced_job(namespace, _job("postsync", container))

    assert wait_for("job postsync to fail", lambda: _job_condition(batch, namespace, "postsync"), timeout=60) == (
        "Failed",
        "BackoffLimitExceeded",
    )
    [pod] = _job_pods(core, namespace, "postsync")
    terminated = _terminated(pod)
    assert (pod.status.phase, terminated.exit_code, terminated.reason) == ("Failed", 3, "Error")
    assert terminated.message == "first\nsomething broke"


def test_restart_policy_on_failure_restarts_the_process_in_the_same_pod(core, batch, namespace, wait_for, tmp_path):
    marker = tmp_path / "tried"
    script = f"test -e {marker} && echo second try && exit 0; touch {marker}; echo first try; exit 1"
    batch.create_namespaced_job(
        namespace, _job("retry", _container(["sh", "-c", script]), backoff_limit=2, restart="OnFailure")
    )

    assert wait_for("job retry to finish", lambda: _job_condition(batch, namespace, "retry"), timeout=60) == (
        "Complete",
        "CompletionsReached",
    )
    [pod] = _job_pods(core, namespace, "retry")  # restarted in place: no second pod
    [status] = pod.status.container_statuses
    assert (pod.status.phase, status.restart_count) == ("Succeeded", 1)
    assert (status.last_state.terminated.exit_code, status.last_state.terminated.message) == (1, "first try")
    assert (status.state.terminated.exit_code, status.state.terminated.message) == (0, "second try")


def test_a_container_without_command_fails_clearly(core, namespace, wait_for):
    container = {"name": "run", "image": f"registry.example.com/ops/{EE_IMAGE}"}
    core.create_namespaced_pod(namespace, _pod("nocommand", container))

    pod = wait_for("pod nocommand to fail", lambda: _finished(core, namespace, "nocommand"))
    terminated = _terminated(pod)
    assert (pod.status.phase, terminated.exit_code, terminated.reason) == ("Failed", 128, "StartError")
    assert "has no command" in terminated.message and "no image entrypoint" in terminated.message


def _pid_when_running(core, ns, name, pid_file):
    pod = core.read_namespaced_pod(name, ns)
    if pod.status.phase != "Running" or not pid_file.exists() or not pid_file.read_text().strip():
        return None
    return int(pid_file.read_text())


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ", 1)[1].split(" ", 1)[0] != "Z"
    except OSError:
        return False


def _sleeper(pid_file):
    script = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    return _container(["python", "-c", script])


def test_deleting_the_pod_kills_its_process(core, namespace, wait_for, tmp_path):
    pid_file = tmp_path / "pid"
    core.create_namespaced_pod(namespace, _pod("sleeper", _sleeper(pid_file), grace=5))
    pid = wait_for("pod sleeper to run", lambda: _pid_when_running(core, namespace, "sleeper", pid_file))
    assert _alive(pid)
    core.delete_namespaced_pod("sleeper", namespace)
    # SIGTERM ends the sleep at once: well within the grace period of 5 s.
    wait_for(f"process {pid} to end", lambda: not _alive(pid), timeout=4)

    def gone():
        try:
            core.read_namespaced_pod("sleeper", namespace)
            return False
        except ApiException as exc:
            return exc.status == 404

    wait_for("pod sleeper to be removed", gone, timeout=20)


def _whoami(sandbox_state, token):
    """The user a bearer token authenticates as (a SelfSubjectReview), or the API status (401) refusing it."""
    configuration = client.Configuration()
    configuration.host = sandbox_state["server"]
    configuration.ssl_ca_cert = str(Path(sandbox_state["root"], "pki", "ca.crt"))
    configuration.api_key = {"authorization": f"Bearer {token}"}
    with client.ApiClient(configuration) as api:
        try:
            review = client.AuthenticationV1Api(api).create_self_subject_review(
                {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
            )
        except ApiException as exc:
            return exc.status
    return review.status.user_info


def test_the_token_is_the_pods_account_bound_to_the_pod(core, rbac, namespace, sandbox_state, wait_for, tmp_path):
    _account(core, rbac, namespace, "hook", may_read_configmaps=False)
    pid_file = tmp_path / "pid"
    pod = _pod("bound", _sleeper(pid_file), grace=1)
    pod["spec"]["serviceAccountName"] = "hook"
    uid = core.create_namespaced_pod(namespace, pod).metadata.uid
    wait_for("pod bound to run", lambda: _pid_when_running(core, namespace, "bound", pid_file))
    directory = Path(sandbox_state["root"], "pods", uid, "serviceaccount")
    assert (directory / "namespace").read_text() == namespace
    assert (directory / "ca.crt").read_text() == Path(sandbox_state["root"], "pki", "ca.crt").read_text()
    assert oct(directory.parent.stat().st_mode & 0o777) == "0o700"
    token = (directory / "token").read_text()

    user = _whoami(sandbox_state, token)
    assert user.username == f"system:serviceaccount:{namespace}:hook"
    assert user.extra["authentication.kubernetes.io/pod-name"] == ["bound"]
    assert user.extra["authentication.kubernetes.io/pod-uid"] == [uid]

    core.delete_namespaced_pod("bound", namespace)

    def gone():
        try:
            core.read_namespaced_pod("bound", namespace)
            return False
        except ApiException as exc:
            return exc.status == 404

    wait_for("pod bound to be removed", gone, timeout=20)
    assert not directory.exists()
    assert wait_for("the pod's token to be refused", lambda: _whoami(sandbox_state, token) == 401, timeout=20)


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(core, namespace, wait_for, tmp_path):
    pid_file = tmp_path / "pid"
    script = (
        "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        f"open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    )
    core.create_namespaced_pod(namespace, _pod("stubborn", _container(["python", "-c", script]), grace=3))
    pid = wait_for("pod stubborn to run", lambda: _pid_when_running(core, namespace, "stubborn", pid_file))
    core.delete_namespaced_pod("stubborn", namespace)
    deleted = time.monotonic()
    time.sleep(1.5)
    assert _alive(pid), "SIGTERM is ignored: the process lives until the grace period ends"
    wait_for(f"process {pid} to be killed", lambda: not _alive(pid), timeout=10)
    assert time.monotonic() - deleted >= 2.5


def test_a_job_past_its_active_deadline_is_failed_and_its_process_killed(core, batch, namespace, wait_for, tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    batch.create_namespaced_job(namespace, _job("slow", _sleeper(pid_file), deadline=5))
    pid = wait_for("the job's process to start", lambda: pid_file.exists() and pid_file.read_text().strip())
    assert _alive(int(pid))

    assert wait_for("job slow to fail", lambda: _job_condition(batch, namespace, "slow"), timeout=60) == (
        "Failed",
        "DeadlineExceeded",
    )
    wait_for(f"process {pid} to end", lambda: not _alive(int(pid)), timeout=35)
    assert time.monotonic() - started < 60
