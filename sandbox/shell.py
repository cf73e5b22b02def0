"""A shell pointed at the sandbox: ``eval "$(make -s sandbox-env)"`` (``python -m sandbox env``).

After it, the commands the docs show run as written from any folder:
- ``kubectl``: the real binary built with the control plane (sandbox/kubectl.py), with the sandbox's ``KUBECONFIG``;
- ``ansible-playbook ksyun.kce.<playbook>``, ``ansible localhost -m ksyun.kce.<module>``, ``ansible-doc``: the project's
  venv's tools, finding this checkout as the collection (``ANSIBLE_COLLECTIONS_PATH``), the cluster through
  ``K8S_AUTH_KUBECONFIG`` and the sandbox's KSYUN emulator through ``KSYUN_ENDPOINT``, ``KSYUN_REGION`` and fake
  credentials under the names Kingsoft's own tools read (``KSYUN_ACCESS_KEY`` / ``KSYUN_SECRET_KEY``).

Variables that would send the collection elsewhere (the other credential pair, a kube context or host) are unset, so
a shell that also holds real cloud credentials talks only to the sandbox after the ``eval``.

Everything lands in ``<sandbox>/bin``: links to kubectl and to the venv's ansible tools (not the whole venv ``bin/``,
so ``python`` and ``pip`` stay the user's own)."""

import shlex
import sys
from pathlib import Path

from sandbox import kubectl
from sandbox.addons import sandbox_region
from sandbox.paths import collections_root

ANSIBLE_TOOLS = (
    "ansible",
    "ansible-config",
    "ansible-doc",
    "ansible-galaxy",
    "ansible-inventory",
    "ansible-playbook",
)
# Fake on purpose: the emulator checks their shape and the signature they make, never a real account.
CREDENTIALS = {"KSYUN_ACCESS_KEY": "sandbox-access-key", "KSYUN_SECRET_KEY": "sandbox-secret-key-not-real"}
# What would otherwise win over the exports (the collection prefers the *_ID pair; K8S_AUTH_* over the kubeconfig).
UNSET = ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_ACCESS_KEY", "KSYUN_SCHEME", "K8S_AUTH_CONTEXT", "K8S_AUTH_HOST")


def link_tools(state: dict, venv_bin: Path | None = None) -> Path:
    """``<sandbox>/bin`` with kubectl and the venv's ansible tools linked in; return the folder."""
    folder = kubectl.link(state).parent
    venv_bin = venv_bin or Path(sys.executable).parent
    for name in ANSIBLE_TOOLS:
        target, dest = venv_bin / name, folder / name
        if not target.exists():
            raise RuntimeError(f"{target} is missing: the project's venv is incomplete; run `make venv`")
        kubectl.replace_link(dest, target)
    return folder


def variables(state: dict) -> dict:
    """The variables ``sandbox env`` exports (PATH aside)."""
    return {
        "KUBECONFIG": state["kubeconfig"],
        "KUBECACHEDIR": str(kubectl.cache_dir(state)),
        "K8S_AUTH_KUBECONFIG": state["kubeconfig"],
        "ANSIBLE_COLLECTIONS_PATH": str(collections_root()),
        "KSYUN_ENDPOINT": "http://" + state["ksyun_endpoint"],
        "KSYUN_REGION": sandbox_region(state["topology"]),
        **CREDENTIALS,
    }


def exports(state: dict) -> str:
    """Shell lines for ``eval``: a comment that says what they do, the exports, the unsets."""
    folder = link_tools(state)
    values = variables(state)
    lines = [
        "# ksyun.kce sandbox: kubectl and ansible-playbook/ansible/ansible-doc from %s first on PATH; KUBECONFIG, "
        "K8S_AUTH_KUBECONFIG, ANSIBLE_COLLECTIONS_PATH (this checkout), KSYUN_ENDPOINT %s, KSYUN_REGION %s and fake "
        "KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY; unsets %s"
        % (folder, values["KSYUN_ENDPOINT"], values["KSYUN_REGION"], " ".join(UNSET))
    ]
    lines += ["export %s=%s" % (name, shlex.quote(value)) for name, value in values.items()]
    lines.append('export PATH=%s:"$PATH"' % shlex.quote(str(folder)))
    lines.append("unset %s" % " ".join(UNSET))
    return "\n".join(lines) + "\n"
