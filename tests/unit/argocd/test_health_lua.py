"""The Lua health checks of argocd/health/ run in Lua 5.1 (what Argo CD's gopher-lua speaks) with only what Argo CD
gives a health script: the base and table libraries, a safe os (time, date) and no string library, not even as the
strings' metatable. The Argo CD side is tests/sandbox/test_argocd.py (health as Argo CD computed it)."""

import pytest
import yaml

from sandbox.argocd import health

lua51 = pytest.importorskip("lupa.lua51")

BASE = ("assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber", "tostring", "type", "unpack")
IP, POD_UID = "10.0.0.236", "8d2c9c1e-6f5e-4d0a-9c1b-5f2c7a100001"
ENI = "5f2c7a10-0003-4a6e-9c1b-0000000000e1"


def run(kind, obj):
    """The script's result table as a dict, run as Argo CD runs it (global obj, restricted environment)."""
    lua = lua51.LuaRuntime(unpack_returned_tuples=True)
    lua.execute('debug.setmetatable("", nil)')  # Argo CD opens no string library, so ("x"):len() fails there too
    env = lua.table_from({name: lua.globals()[name] for name in BASE})
    env["table"] = lua.globals().table
    env["os"] = lua.table_from({"time": lua.globals().os.time, "date": lua.globals().os.date})
    env["obj"] = lua.table_from(obj, recursive=True)
    run_in = lua.eval(
        "function(code, name, env) local f = assert(loadstring(code, name)); setfenv(f, env); return f() end"
    )
    result = run_in(health.script(kind), "=" + health.SCRIPTS[kind], env)
    return {"status": result["status"], "message": result["message"]}


def podeniip(phase=None, name=IP, ip=IP, uid=POD_UID, retention="24h", deleting=False, **status):
    obj = {
        "apiVersion": "k8s.ksyun.com/v1",
        "kind": "PodEniIP",
        "metadata": {"name": name, "namespace": "db"},
        "spec": {"podNamespace": "db", "podName": "sts-0", "mode": "shared", "fixed": True, "retention": retention},
    }
    if ip:
        obj["spec"]["ip"] = ip
    if uid:
        obj["spec"]["podUID"] = uid
    if deleting:
        obj["metadata"]["deletionTimestamp"] = "2026-11-29T10:00:00Z"
        obj["metadata"]["finalizers"] = ["k8s.ksyun.com/release-ip"]
    if phase:
        obj["status"] = dict(status, phase=phase)
    return obj


def podeni(phase=None, name="sts-0", eni=ENI, uid=POD_UID, retention="24h", **status):
    obj = podeniip(phase, name=name, uid=uid, retention=retention, **status)
    obj["kind"] = "PodEni"
    obj["spec"]["mode"] = "exclusive"
    if eni:
        obj["spec"]["eniId"] = eni
    return obj


@pytest.mark.parametrize(
    "obj, status, message",
    [
        (podeniip("Bound", nodeName="10.0.0.48"), "Healthy", "10.0.0.236 is bound to pod db/sts-0 on node 10.0.0.48"),
        (
            podeniip("Reserved", releasedAt="2026-11-29T10:00:00Z", reclaimAt="2026-11-30T10:00:00Z"),
            "Healthy",
            "10.0.0.236 is reserved for pod db/sts-0 while the pod is away, kept until 2026-11-30T10:00:00Z",
        ),
        (
            podeniip("Reserved", uid=None),
            "Healthy",
            "10.0.0.236 is reserved for pod db/sts-0 (pre-provisioned: no pod has held it yet), kept for 24h after "
            "its pod is deleted",
        ),
        (
            podeniip("Reserved", retention="never"),
            "Healthy",
            "10.0.0.236 is reserved for pod db/sts-0 while the pod is away, kept until reclaimed by hand "
            "(retention never)",
        ),
        (
            podeniip("Binding", nodeName="10.0.0.48"),
            "Progressing",
            "Binding 10.0.0.236 to pod db/sts-0 on node 10.0.0.48",
        ),
        (podeniip("Binding"), "Progressing", "Binding 10.0.0.236 to pod db/sts-0"),
        (
            podeniip("Releasing", nodeName="10.0.0.48"),
            "Progressing",
            "Releasing 10.0.0.236 of pod db/sts-0 from node 10.0.0.48",
        ),
        (podeniip("Reclaiming"), "Progressing", "Reclaiming 10.0.0.236 of pod db/sts-0: its retention ended"),
        (
            podeniip(),
            "Progressing",
            "No phase yet: no flow or module has written the status of the IP 10.0.0.236 of pod db/sts-0",
        ),
        (
            podeniip("Bound", nodeName="10.0.0.48", deleting=True),
            "Progressing",
            "Deleting: the record stays until the IP 10.0.0.236 is freed (finalizer k8s.ksyun.com/release-ip)",
        ),
        (
            podeniip("Bound"),
            "Degraded",
            "Bound without a node: status.nodeName is empty for the IP 10.0.0.236 of pod db/sts-0",
        ),
        (
            podeniip("Bound", name="10.0.0.9", nodeName="10.0.0.48"),
            "Degraded",
            "The record is named 10.0.0.9 but keeps the IP 10.0.0.236: a PodEniIP is named after its IP",
        ),
        (podeniip("Reserved", ip=None), "Degraded", "spec.ip is empty: a PodEniIP is named after the IP it keeps"),
        (podeniip("Lost"), "Degraded", "Unknown phase Lost of the IP 10.0.0.236 of pod db/sts-0"),
        (
            podeniip("Bound", nodeName="10.0.0.48", message="bound by the node agent"),
            "Healthy",
            "10.0.0.236 is bound to pod db/sts-0 on node 10.0.0.48 (bound by the node agent)",
        ),
    ],
)
def test_podeniip(obj, status, message):
    assert run("PodEniIP", obj) == {"status": status, "message": message}


WHAT = f"ENI {ENI} (10.0.0.236)"


@pytest.mark.parametrize(
    "obj, status, message",
    [
        (podeni("Bound", nodeName="10.0.0.48"), "Healthy", f"{WHAT} is attached for pod db/sts-0 on node 10.0.0.48"),
        (
            podeni("Reserved", reclaimAt="2026-11-30T10:00:00Z"),
            "Healthy",
            f"{WHAT} is kept detached for pod db/sts-0 while the pod is away, kept until 2026-11-30T10:00:00Z",
        ),
        (
            podeni("Reserved", uid=None, retention="never"),
            "Healthy",
            f"{WHAT} is reserved for pod db/sts-0 (pre-provisioned: no pod has held it yet), kept until reclaimed by "
            "hand (retention never)",
        ),
        (
            podeni("Binding", nodeName="10.0.0.48"),
            "Progressing",
            f"Attaching {WHAT} for pod db/sts-0 to node 10.0.0.48",
        ),
        (
            podeni("Releasing", nodeName="10.0.0.48"),
            "Progressing",
            f"Detaching {WHAT} of pod db/sts-0 from node 10.0.0.48",
        ),
        (podeni("Reclaiming"), "Progressing", f"Reclaiming {WHAT} of pod db/sts-0: its retention ended"),
        (
            podeni(),
            "Progressing",
            f"No phase yet: no flow or module has written the status of the {WHAT} of pod db/sts-0",
        ),
        (
            podeni("Bound", eni=None, nodeName="10.0.0.48"),
            "Degraded",
            "Bound without an ENI (spec.eniId) for pod db/sts-0",
        ),
        (podeni("Bound"), "Degraded", "Bound without a node (status.nodeName) for pod db/sts-0"),
        (
            podeni("Bound", name="sts-1", nodeName="10.0.0.48"),
            "Degraded",
            "The record is named sts-1 but keeps the ENI of pod db/sts-0: a PodEni is named after its pod",
        ),
        (podeni("Lost"), "Degraded", f"Unknown phase Lost of the {WHAT} of pod db/sts-0"),
    ],
)
def test_podeni(obj, status, message):
    assert run("PodEni", obj) == {"status": status, "message": message}


def test_a_missing_library_fails_here_as_in_argo_cd():
    """The restricted environment is real: a script calling the string library would fail in the test as in Argo CD."""
    lua = lua51.LuaRuntime()
    lua.execute('debug.setmetatable("", nil)')
    with pytest.raises(lua51.LuaError):
        lua.execute('local s = "x"; return s:upper()')


FAILURE = "kce.ksyun.com/failure"
PLAYBOOK_MESSAGE = (
    "ksyun.kce.fixed_ip_statefulset : Reserve the pinned IPs: 10.0.0.236 is kept for pod db/web-0, not for apps/db-0"
)


def job(*conditions, annotations=None, active=None):
    """A Job with conditions given as (type, status, message)."""
    obj = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fixed-ip-reserve", "namespace": "apps"}}
    if annotations is not None:
        obj["metadata"]["annotations"] = annotations
    status = {}
    if active is not None:
        status["active"] = active
    if conditions:
        status["conditions"] = [{"type": t, "status": s, "message": m} for t, s, m in conditions]
    obj["status"] = status
    return obj


BACKOFF = ("Failed", "True", "Job has reached the specified backoff limit")
DEADLINE = ("Failed", "True", "Job was active longer than specified deadline")
COMPLETE = ("Complete", "True", "Reached expected number of succeeded pods")


@pytest.mark.parametrize(
    "obj, status, message",
    [
        # As Argo CD's own Job health (gitops-engine pkg/health/health_job.go), case by case:
        (job(active=1), "Progressing", ""),
        (job(), "Progressing", ""),
        (job(COMPLETE), "Healthy", "Reached expected number of succeeded pods"),
        (job(BACKOFF), "Degraded", "Job has reached the specified backoff limit"),
        (job(DEADLINE, annotations={}), "Degraded", "Job was active longer than specified deadline"),
        (job(("Suspended", "True", "Job suspended")), "Suspended", ""),
        (job(("Suspended", "False", "Job resumed"), active=1), "Healthy", "Job resumed"),  # health_job.go does so too
        (job(("SuccessCriteriaMet", "True", ""), active=1), "Progressing", ""),
        (job(("FailureTarget", "True", "failing"), active=1), "Progressing", ""),
        (job(("Failed", "True", None)), "Degraded", ""),
        # What this script adds: a failed Job's playbook message, from the annotation its failed playbook wrote.
        (job(BACKOFF, annotations={FAILURE: PLAYBOOK_MESSAGE}), "Degraded", PLAYBOOK_MESSAGE),
        (job(BACKOFF, annotations={FAILURE: ""}), "Degraded", "Job has reached the specified backoff limit"),
        (
            job(COMPLETE, annotations={FAILURE: PLAYBOOK_MESSAGE}),
            "Healthy",
            "Reached expected number of succeeded pods",
        ),
        (job(annotations={FAILURE: PLAYBOOK_MESSAGE}, active=1), "Progressing", ""),
    ],
)
def test_job(obj, status, message):
    assert run("Job", obj) == {"status": status, "message": message}


def test_the_argocd_cm_snippet_embeds_the_scripts_as_they_are():
    """argocd/argocd-cm.yaml is generated from the .lua files (python -m sandbox.argocd.health) and is unchanged."""
    text = health.CM_FILE.read_text(encoding="utf-8")
    assert text == health.argocd_cm(), "argocd/argocd-cm.yaml is stale: python -m sandbox.argocd.health > it"
    data = yaml.safe_load(text)["data"]
    assert data == {
        "resource.customizations.health.k8s.ksyun.com_PodEni": (health.ARGOCD_DIR / "health/podeni.lua").read_text(),
        "resource.customizations.health.k8s.ksyun.com_PodEniIP": (
            health.ARGOCD_DIR / "health/podeniip.lua"
        ).read_text(),
        "resource.customizations.health.batch_Job": (health.ARGOCD_DIR / "health/job.lua").read_text(),
    }
