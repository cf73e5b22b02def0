"""The health checks of the collection's records (and of the hook Jobs) for Argo CD: argocd/health/*.lua, and the
argocd-cm snippet that embeds them (argocd/argocd-cm.yaml, which users merge into their argocd-cm; the sandbox installs
it).

``python -m sandbox.argocd.health`` prints the snippet; tests/unit/argocd/test_health_lua.py checks that the committed
argocd/argocd-cm.yaml is exactly that text, so the embedded copies never drift from the .lua files."""

import sys

from sandbox.paths import REPO_ROOT

ARGOCD_DIR = REPO_ROOT / "argocd"
GROUP = "k8s.ksyun.com"
SCRIPTS = {"PodEni": "podeni.lua", "PodEniIP": "podeniip.lua", "Job": "job.lua"}
# Every Job of the cluster gets job.lua: Argo CD's own Job health, with a failed hook playbook's message.
GROUPS = {"PodEni": GROUP, "PodEniIP": GROUP, "Job": "batch"}
CM_FILE = ARGOCD_DIR / "argocd-cm.yaml"


def script(kind: str) -> str:
    return (ARGOCD_DIR / "health" / SCRIPTS[kind]).read_text(encoding="utf-8")


def key(kind: str) -> str:
    """The argocd-cm key of a kind's health check: resource.customizations.health.<group>_<kind>."""
    return f"resource.customizations.health.{GROUPS[kind]}_{kind}"


def customizations() -> dict:
    return {key(kind): script(kind) for kind in SCRIPTS}


def argocd_cm() -> str:
    """The snippet's text: a ConfigMap argocd-cm whose data holds the scripts as literal blocks."""
    lines = [
        "# Health checks of the ksyun.kce records (PodEni, PodEniIP) for Argo CD, and of Jobs: Argo CD's own with a failed",
        "# hook playbook's message (docs/gitops.md). Generated from health/*.lua by `python -m sandbox.argocd.health` (a",
        "# test checks it matches): merge its data into your argocd-cm, e.g.",
        "#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file argocd-cm.yaml",
        "---",
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        "  name: argocd-cm",
        "  namespace: argocd",
        "  labels:",
        "    app.kubernetes.io/name: argocd-cm",
        "    app.kubernetes.io/part-of: argocd",
        "data:",
    ]
    for name, text in customizations().items():
        lines.append(f"  {name}: |")
        lines.extend(("    " + line) if line else "" for line in text.splitlines())
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(argocd_cm())
