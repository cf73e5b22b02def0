"""The Argo CD hooks' playbooks, each run with only its own ServiceAccount's token and the RBAC of argocd/app/rbac.yaml
(applied with the real kubectl, its namespace replaced as a user who copies it does), against the sandbox:

reserve   ksyun.kce.deploy -e deploy_output=reserve   reserves the pinned IPs, writes nothing else; a rerun writes nothing
Sync      the rendered StatefulSet, applied server-side as Argo CD does (with the admin credentials, not a hook's)
PostSync  ksyun.kce.deploy -e deploy_output=check     waits for the rollout, checks every pod's IP; writes nothing
PostDelete ksyun.kce.reclaim (reclaim_statefulset_deleted) after the StatefulSet is deleted; then the CronJob's audit

The command lines are the hook Jobs' own (argocd/app/hooks.yaml), their $(VAR) arguments expanded as the kubelet does.

The tokens come from TokenRequest (kubectl create token) and reach ansible-playbook as K8S_AUTH_HOST/API_KEY/SSL_CA_CERT,
no kubeconfig; the same tokens are refused by the real apiserver for what lies outside their role.
"""

import json
import re
from pathlib import Path

import pytest
import yaml
from fixed_ip_sandbox import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SUBNET_6A

from sandbox import kubectl

REPO = Path(__file__).resolve().parents[3]
AUDIT = REPO / "playbooks" / "audit.yml"
APP = REPO / "argocd" / "app"
RBAC = APP / "rbac.yaml"
EXAMPLE_NAMESPACE = "fixed-ip-apps"
POSTDELETE = APP / "postdelete.yaml"
HOOKS = ("fixed-ip-reserve", "fixed-ip-check", "fixed-ip-reclaim", "fixed-ip-postdelete")
ZONE = "cn-beijing-6a"
PINNED = ["10.0.0.236", "10.0.0.239"]
FAILURE = "kce.ksyun.com/failure"  # the annotation a failed hook's playbook writes on its Job

pytestmark = pytest.mark.controlplane


def _kubectl(state, *args):
    out = kubectl.run(state, *args)
    assert out.returncode == 0, "kubectl %s: %s" % (" ".join(args), out.stderr)
    return out.stdout


@pytest.fixture
def hooks(sandbox_state, namespace, tmp_path):
    """The example's RBAC applied for `namespace`; {ServiceAccount: (ansible env, kubeconfig path)} of its hooks."""
    rbac = tmp_path / "rbac.yaml"
    postdelete = [
        obj
        for obj in yaml.safe_load_all(POSTDELETE.read_text(encoding="utf-8").replace(EXAMPLE_NAMESPACE, namespace))
        if obj and obj["kind"] != "Job"
    ]
    rbac.write_text(
        RBAC.read_text(encoding="utf-8").replace(EXAMPLE_NAMESPACE, namespace)
        + "\n---\n"
        + yaml.safe_dump_all(postdelete),
        encoding="utf-8",
    )
    _kubectl(sandbox_state, "apply", "-f", str(rbac))
    ca = str(Path(sandbox_state["root"]) / "pki" / "ca.crt")
    found = {}
    for account in HOOKS:
        token = _kubectl(sandbox_state, "create", "token", account, "-n", namespace, "--duration=1h").strip()
        config = tmp_path / ("%s.kubeconfig" % account)
        config.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "s", "cluster": {"server": sandbox_state["server"], "certificate-authority": ca}}
                    ],
                    "users": [{"name": account, "user": {"token": token}}],
                    "contexts": [{"name": "c", "context": {"cluster": "s", "user": account}}],
                    "current-context": "c",
                }
            ),
            encoding="utf-8",
        )
        env = {
            "K8S_AUTH_KUBECONFIG": None,
            "K8S_AUTH_HOST": sandbox_state["server"],
            "K8S_AUTH_API_KEY": token,
            "K8S_AUTH_SSL_CA_CERT": ca,
        }
        found[account] = (env, str(config))
    yield found
    kubectl.run(sandbox_state, "delete", "-f", str(rbac), "--ignore-not-found", "--wait=false")


def _example(namespace):
    """Every object of argocd/app with the example's namespace replaced, by (kind, name)."""
    objects = {}
    for path in sorted(APP.glob("*.yaml")):
        text = path.read_text(encoding="utf-8").replace(EXAMPLE_NAMESPACE, namespace)
        for obj in yaml.safe_load_all(text):
            if obj:
                objects[(obj["kind"], obj["metadata"]["name"])] = obj
    return objects


def _hook_command(job, values):
    """A hook Job's command line as the kubelet runs it: $(VAR) in its args expanded from values (by env name)."""
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["ansible-playbook"], container["command"]
    args = [values.get(a[2:-1], a) if a.startswith("$(") and a.endswith(")") else a for a in container["args"]]
    return args[0], tuple(args[1:])


def _records(dyn, namespace):
    items = dyn.resources.get(api_version="k8s.ksyun.com/v1", kind="PodEniIP").get(namespace=namespace).to_dict()
    return {i["spec"].get("podName"): (i["spec"].get("ip"), i["metadata"]["resourceVersion"]) for i in items["items"]}


def _writes(emulator):
    """The cloud writes of the playbooks (signed with their access key), not the node agent's."""
    return emulator.counters(caller=ACCESS_KEY_ID)["writes"]


def _reserved(emulator, ips):
    attributes = emulator.state()["ip_attributes"].get(SUBNET_6A) or {}
    return {ip for ip in ips if (attributes.get(ip) or {}).get("allocate_status") == "specific"}


def _statefulsets(namespace, pinned=True):
    entry = {
        "name": "web",
        "namespace": namespace,
        "image": "nginx:1.25",
        "replicas": 2,
        "mode": "shared",
        "zone": ZONE,
    }
    if pinned:
        entry["ips"] = PINNED
    return {"fixed_ip_statefulsets": [entry]}


def _render(ansible, namespace, folder):
    """The StatefulSet as the Git path holds it (role render mode; pins are not rendered)."""
    entry = _statefulsets(namespace, pinned=False)["fixed_ip_statefulsets"][0]
    play = {
        "name": "render",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": [
            {
                "name": "render the StatefulSet",
                "ansible.builtin.include_role": {"name": "ksyun.kce.fixed_ip_statefulset"},
                "vars": {
                    **{"fixed_ip_statefulset_" + k: v for k, v in entry.items()},
                    "fixed_ip_statefulset_output": "render",
                    "fixed_ip_statefulset_render_dir": str(folder),
                },
            }
        ],
    }
    run = ansible([play])
    assert run.rc == 0, run
    files = sorted(folder.glob("*.yaml"))
    assert len(files) == 1, files
    return files[0]


def test_each_hook_works_with_its_own_token_alone_and_is_refused_outside_its_role(
    ansible, hooks, namespace, dyn, emulator, sandbox_state, tmp_path, wait_for
):
    # The hooks' command lines as argocd/app/hooks.yaml writes them, with this test's StatefulSet as the vars.
    example = _example(namespace)
    values = {
        "FIXED_IP_STATEFULSETS": json.dumps(_statefulsets(namespace)),
        "RECLAIM_VARS": json.dumps({"reclaim_statefulset_deleted": True}),
    }
    reserve_cmd = _hook_command(example[("Job", "fixed-ip-reserve")], values)
    check_cmd = _hook_command(example[("Job", "fixed-ip-check")], values)
    reclaim_cmd = _hook_command(example[("Job", "fixed-ip-reclaim")], values)
    assert reserve_cmd[0] == check_cmd[0] == "ksyun.kce.deploy" and reclaim_cmd[0] == "ksyun.kce.reclaim"

    # The reserve hook (a Sync hook before the StatefulSets): the pinned IPs reserved with its token alone.
    reserve_env, reserve_config = hooks["fixed-ip-reserve"]
    emulator.reset_counters()
    run = ansible(reserve_cmd[0], args=reserve_cmd[1], env=reserve_env)
    assert run.rc == 0, run.msg
    records = _records(dyn, namespace)
    assert {name: ip for name, (ip, _version) in records.items()} == {"web-0": PINNED[0], "web-1": PINNED[1]}
    assert _reserved(emulator, PINNED) == set(PINNED)
    assert _writes(emulator), "the reserve hook wrote nothing to the cloud"

    # A second reserve (every sync runs it): succeeds, changes nothing, zero writes.
    emulator.reset_counters()
    again = ansible(reserve_cmd[0], args=reserve_cmd[1], env=reserve_env)
    assert again.rc == 0, again.msg
    assert again.task("Reserve the pinned IPs and the elastic IPs")["changed"] is False
    assert not _writes(emulator), _writes(emulator)
    assert _records(dyn, namespace) == records

    # Sync: Argo CD applies the rendered StatefulSet.
    rendered = _render(ansible, namespace, tmp_path / "git")
    _kubectl(sandbox_state, "apply", "--server-side", "--field-manager=argocd-controller", "-f", str(rendered))

    # PostSync: the check hook's token waits for the rollout and checks every pod; it writes nothing.
    check_env, check_config = hooks["fixed-ip-check"]
    emulator.reset_counters()
    checked = ansible(check_cmd[0], args=check_cmd[1], env=check_env)
    assert checked.rc == 0, checked.msg
    pods = checked.task("Check every pod runs with the IP its reservation keeps, and return ordinal -> IP")
    result = pods["ansible_facts"]["fixed_ip_statefulset_result"]
    assert result["output"] == "check" and result["checked"] is True
    assert {p["pod"]: p["ip"] for p in result["pods"]} == {"web-0": PINNED[0], "web-1": PINNED[1]}
    assert all(p["pinned"] for p in result["pods"])
    assert not _writes(emulator), _writes(emulator)
    live = json.loads(_kubectl(sandbox_state, "get", "po", "-n", namespace, "-o", "json"))
    assert sorted(p["status"].get("podIP") for p in live["items"]) == PINNED

    # Outside their roles, the real apiserver refuses each token.
    for account, (_env, config) in hooks.items():
        secrets = kubectl.run(sandbox_state, "--kubeconfig", config, "get", "secrets", "-n", "kube-system")
        assert secrets.returncode != 0 and "forbidden" in secrets.stderr.lower(), (account, secrets.stderr)
    for config, verb in ((reserve_config, "create"), (check_config, "delete")):
        write = kubectl.run(
            sandbox_state, "--kubeconfig", config, "auth", "can-i", verb, "statefulsets.apps", "-n", namespace
        )
        assert write.stdout.strip() == "no", (config, verb, write.stdout, write.stderr)
    create = kubectl.run(
        sandbox_state, "--kubeconfig", check_config, "create", "configmap", "not-mine", "-n", namespace
    )
    assert create.returncode != 0 and "forbidden" in create.stderr.lower(), create.stderr
    # Each hook may patch its own Job (a failed run writes its message on it) and no other Job; the CronJob none.
    own_jobs = {"fixed-ip-reserve": "fixed-ip-reserve", "fixed-ip-check": "fixed-ip-check"}
    own_jobs.update({"fixed-ip-postdelete": "fixed-ip-reclaim", "fixed-ip-reclaim": None})
    for account, own in own_jobs.items():
        config = hooks[account][1]
        for job in ("fixed-ip-reserve", "fixed-ip-check", "fixed-ip-reclaim", "other"):
            for verb in ("patch", "get", "delete"):
                can = kubectl.run(
                    sandbox_state, "--kubeconfig", config, "auth", "can-i", verb, "jobs.batch/" + job, "-n", namespace
                )
                expected = "yes" if (verb, job) == ("patch", own) else "no"
                assert can.stdout.strip() == expected, (account, verb, job, can.stdout, can.stderr)

    # PostDelete: the StatefulSet is gone; the reclaim hook frees its IPs (reclaim_statefulset_deleted), then audits.
    _kubectl(sandbox_state, "delete", "statefulset", "web", "-n", namespace, "--wait=true")
    wait_for(
        "the pods of web gone",
        lambda: not json.loads(_kubectl(sandbox_state, "get", "po", "-n", namespace, "-o", "json"))["items"],
        timeout=120,
    )
    postdelete_env, _config = hooks["fixed-ip-postdelete"]
    reclaimed = ansible(reclaim_cmd[0], args=reclaim_cmd[1], env=postdelete_env)
    assert reclaimed.rc == 0, reclaimed.msg
    assert _records(dyn, namespace) == {}
    assert _reserved(emulator, PINNED) == set()
    cronjob_env, _config = hooks["fixed-ip-reclaim"]  # the CronJob's account audits
    audited = ansible(AUDIT, args=("-e", "audit_dir=%s" % (tmp_path / "audit")), env=cronjob_env)
    assert audited.rc == 0, audited.msg
    report = json.loads((tmp_path / "audit" / "report.json").read_text(encoding="utf-8"))
    mine = [f for f in report["findings"] if namespace in f["subject"] or any(ip in f["subject"] for ip in PINNED)]
    assert not mine, mine


def test_the_example_is_accepted_by_the_apiserver_and_every_reference_resolves(sandbox_state, namespace, tmp_path):
    """argocd/app applied with a server-side dry run (the real apiserver validates every object), and what the Jobs
    name exists in the example: their ServiceAccounts, the ConfigMap keys, the playbooks, one image."""
    folder = tmp_path / "app"
    folder.mkdir()
    for path in APP.glob("*.yaml"):
        (folder / path.name).write_text(path.read_text(encoding="utf-8").replace(EXAMPLE_NAMESPACE, namespace))
    dry = kubectl.run(sandbox_state, "apply", "--server-side", "--dry-run=server", "-f", str(folder))
    assert dry.returncode == 0, dry.stderr
    example = _example(namespace)
    assert len(dry.stdout.strip().splitlines()) == len(example)

    accounts = {name for kind, name in example if kind == "ServiceAccount"}
    variables = example[("ConfigMap", "fixed-ip-vars")]["data"]
    pods = [job["spec"]["template"]["spec"] for (kind, _name), job in example.items() if kind == "Job"]
    pods.append(example[("CronJob", "fixed-ip-reclaim-audit")]["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    images = set()
    for pod in pods:
        assert pod["serviceAccountName"] in accounts and pod["restartPolicy"] == "Never"
        for container in pod["containers"]:
            images.add(container["image"])
            for env in container.get("env", []):
                ref = (env.get("valueFrom") or {}).get("configMapKeyRef")
                if ref:
                    assert ref["name"] == "fixed-ip-vars" and ref["key"] in variables, ref
            for arg in container["args"]:
                for playbook in re.findall(r"ksyun\.kce\.(\w+)", arg):
                    assert (REPO / "playbooks" / (playbook + ".yml")).is_file(), playbook
    assert len(images) == 1, images
    for key in ("statefulsets", "reclaim"):
        parsed = yaml.safe_load(variables[key])  # what ansible-playbook -e makes of a value starting with "{"
        assert variables[key].lstrip().startswith("{") and isinstance(parsed, dict), key
    assert {e["name"] for e in yaml.safe_load(variables["statefulsets"])["fixed_ip_statefulsets"]} == {"mysql", "web"}

    # The PostDelete reclaim: its kube-system Role is a PostDelete hook with the rules of the two in rbac.yaml; its
    # cluster-wide rules are the CronJob's ClusterRoles, bound to it by bindings that, like those ClusterRoles, stay
    # when the Application is deleted (Argo CD v3.2.11 cannot run cluster-scoped PostDelete hooks).
    def rules(*objs):
        return {
            (group, resource, verb, name)
            for obj in objs
            for rule in obj["rules"]
            for group in rule["apiGroups"]
            for resource in rule["resources"]
            for verb in rule["verbs"]
            for name in rule.get("resourceNames") or ["*"]
        }

    postdelete_role = example[("Role", "%s-postdelete" % namespace)]
    assert postdelete_role["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostDelete"
    assert rules(postdelete_role) == rules(
        example[("Role", "fixed-ip-vpc-cni-config")], example[("Role", "fixed-ip-subnet-lock")]
    )
    kept = {
        (kind, name)
        for (kind, name), obj in example.items()
        if "Delete=false" in obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-options", "")
    }
    bound = {
        obj["roleRef"]["name"]
        for (kind, name), obj in example.items()
        if kind == "ClusterRoleBinding" and {"name": "fixed-ip-postdelete"}.items() <= obj["subjects"][0].items()
    }
    assert bound == {"fixed-ip-reclaim", "%s-hooks-read" % namespace}
    assert {("ClusterRole", role) for role in bound} <= kept
    assert not [k for k in example if k[0] in ("ClusterRole", "ClusterRoleBinding") and "PostDelete" in str(example[k])]
    for (kind, name), obj in example.items():
        if kind == "Job":
            assert obj["spec"]["backoffLimit"] == 0 and obj["spec"]["activeDeadlineSeconds"] > 0, name
            assert "BeforeHookCreation" in obj["metadata"]["annotations"]["argocd.argoproj.io/hook-delete-policy"]


def _job_pods(sandbox_state, namespace, job):
    out = _kubectl(sandbox_state, "get", "po", "-n", namespace, "-l", "job-name=%s" % job, "-o", "json")
    return json.loads(out)["items"]


def _apply_job(sandbox_state, tmp_path, job, wait_for, timeout=300):
    """Apply one Job of the example and wait until it completes or fails; (condition type, its pod's log)."""
    path = tmp_path / ("%s.yaml" % job["metadata"]["name"])
    path.write_text(yaml.safe_dump(job), encoding="utf-8")
    _kubectl(sandbox_state, "apply", "-f", str(path))
    namespace, name = job["metadata"]["namespace"], job["metadata"]["name"]

    def finished():
        status = json.loads(_kubectl(sandbox_state, "get", "job", name, "-n", namespace, "-o", "json"))["status"]
        done = [
            c["type"]
            for c in status.get("conditions", [])
            if c["type"] in ("Complete", "Failed") and c["status"] == "True"
        ]
        return done[0] if done else None

    outcome = wait_for("Job %s/%s to finish" % (namespace, name), finished, timeout=timeout, interval=1.0)
    pod = _job_pods(sandbox_state, namespace, name)[-1]
    logs = Path(sandbox_state["root"]) / "logs" / "pods"
    folder = logs / ("%s_%s_%s" % (namespace, pod["metadata"]["name"], pod["metadata"]["uid"])) / "ansible"
    return outcome, pod, "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.log")))


def test_the_example_hook_jobs_run_in_cluster_with_their_token_and_fail_the_hook_on_error(
    hooks, namespace, dyn, emulator, emulator_url, sandbox_state, tmp_path, wait_for
):
    """The example's reserve and PostSync check Jobs as written (image ksyun-kce-ee, which the sandbox's nodes run as host
    processes: docs/sandbox.md), with their ServiceAccounts, the variables ConfigMap and a credentials Secret: the
    playbooks run in-cluster (no kubeconfig; the pod's token), print JSON with the set_stats summary, and the Job
    completes and carries no failure annotation; a pinned IP that another pod keeps fails the reserve Job, with the
    playbook's message in its log and, written by the callback ksyun.kce.job_failure, on the Job."""
    example = _example(namespace)
    variables = example[("ConfigMap", "fixed-ip-vars")]
    variables["data"]["statefulsets"] = json.dumps(_statefulsets(namespace))
    variables["metadata"].pop("annotations")
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "ksyun-credentials", "namespace": namespace},
        "stringData": {
            "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "KSYUN_REGION": REGION,
            "KSYUN_ENDPOINT": emulator_url,
        },
    }
    objects = tmp_path / "objects.yaml"
    objects.write_text(yaml.safe_dump_all([variables, secret]), encoding="utf-8")
    _kubectl(sandbox_state, "apply", "-f", str(objects))

    outcome, pod, log = _apply_job(sandbox_state, tmp_path, example[("Job", "fixed-ip-reserve")], wait_for)
    assert outcome == "Complete", log[-3000:]
    assert "KUBECONFIG" not in json.dumps(pod["spec"])
    assert FAILURE not in _job(sandbox_state, namespace, "fixed-ip-reserve")["metadata"].get("annotations", {})
    report = json.loads(log[log.index("{") :])
    assert report["stats"]["localhost"]["failures"] == 0
    summary = report["global_custom_stats"]["fixed_ip_statefulsets"]["%s/web" % namespace]
    assert summary["output"] == "reserve" and summary["ips"] == {"web-0": PINNED[0], "web-1": PINNED[1]}
    assert {n: ip for n, (ip, _v) in _records(dyn, namespace).items()} == {"web-0": PINNED[0], "web-1": PINNED[1]}

    # The next sync's reserve Job (Argo CD deletes the last one first) pins the same IPs for another StatefulSet: the
    # playbook refuses them and exits non-zero, the Job fails; the log and the Job's annotation say why.
    taken = dict(
        _statefulsets(namespace),
        fixed_ip_statefulsets=[dict(_statefulsets(namespace)["fixed_ip_statefulsets"][0], name="db")],
    )
    variables["data"]["statefulsets"] = json.dumps(taken)
    objects.write_text(yaml.safe_dump(variables), encoding="utf-8")
    _kubectl(sandbox_state, "apply", "-f", str(objects))
    _kubectl(sandbox_state, "delete", "job", "fixed-ip-reserve", "-n", namespace, "--cascade=foreground", "--wait=true")
    emulator.reset_counters()
    outcome, pod, log = _apply_job(sandbox_state, tmp_path, example[("Job", "fixed-ip-reserve")], wait_for)
    assert outcome == "Failed", log[-3000:]
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 2, terminated  # ansible-playbook: a task failed
    assert PINNED[0] in log and "web-0" in log, log[-3000:]
    assert not _writes(emulator), "a refused hook wrote to the cloud"
    job = _job(sandbox_state, namespace, "fixed-ip-reserve")
    message = job["metadata"]["annotations"][FAILURE]
    assert message.startswith("ksyun.kce.fixed_ip_statefulset : "), message  # the failed task, then its message
    assert "%s/db-0" % namespace in message and PINNED[0] in message and "%s/web-0" % namespace in message, message
    assert "\n" not in message and len(message) <= 1000 and SECRET_ACCESS_KEY not in message


def _job(sandbox_state, namespace, name):
    return json.loads(_kubectl(sandbox_state, "get", "job", name, "-n", namespace, "-o", "json"))
