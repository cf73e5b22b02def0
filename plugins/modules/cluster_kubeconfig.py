#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_kubeconfig
short_description: Write the kubeconfig of a KCE cluster to a file
version_added: 0.1.0
description:
  - Downloads the kubeconfig of a Kingsoft Cloud Container Engine (KCE) cluster (KCE C(DownloadClusterConfig)) and
    writes it to O(dest) with mode C(0600).
  - The file is written atomically (a temporary file in the same directory, then renamed), so a reader never sees a
    half-written kubeconfig and a failure leaves the old file as it was.
  - The kubeconfig is a credential. It is never printed, logged or returned; the diff shows its SHA-256 checksum.
  - The task reports a change only when the file's content or mode differs from what would be written.
  - A cluster whose API server is not exposed answers with an empty kubeconfig; the task then fails and says so,
    and O(dest) is left as it was.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  dest:
    description:
      - The file to write, on the host the task runs on. Its directory must exist.
      - The file gets mode C(0600), also when it exists with another mode.
    type: path
    required: true
  api_server:
    description:
      - Which address of the API server the kubeconfig points at.
      - V(public) is the address reachable from the internet (C(IsPublic=true)); it is empty when the cluster does not
        expose its API server.
      - V(vpc) is the address inside the cluster's VPC (C(IsPublic=false)), for hosts in that VPC.
      - (The option O(endpoint) is the KSYUN API endpoint, as for every cloud module of the collection.)
    type: str
    choices: [public, vpc]
    default: public
extends_documentation_fragment:
  - ksyun.kce.kce_cluster
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode downloads the kubeconfig, compares it with O(dest) and reports C(changed) exactly; it writes nothing.
  diff_mode:
    support: full
    details:
      - The diff shows the checksum and mode of O(dest) before and after, never the content.
seealso:
  - module: ksyun.kce.cluster_info
"""

EXAMPLES = r"""
- name: Write the kubeconfig of the sandbox cluster for kubectl and kubernetes.core
  ksyun.kce.cluster_kubeconfig:
    cluster_id: 5f2c7a10-0006-4a6e-9c1b-000000000001
    dest: "{{ lookup('env', 'HOME') }}/.kube/kce-sandbox"

- name: The VPC-internal kubeconfig, for a bastion host in the cluster's VPC
  ksyun.kce.cluster_kubeconfig:
    name: prod
    dest: /etc/kce/prod-internal.kubeconfig
    api_server: vpc

- name: Use it
  kubernetes.core.k8s_info:
    kubeconfig: /etc/kce/prod-internal.kubeconfig
    kind: Node
"""

RETURN = r"""
dest:
  description: The file written (or that would be written, in check mode).
  returned: success
  type: str
  sample: /root/.kube/kce-sandbox
checksum:
  description: The SHA-256 checksum of the kubeconfig.
  returned: success
  type: str
  sample: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
mode:
  description: The mode of O(dest).
  returned: success
  type: str
  sample: "0600"
api_server:
  description: Which API server address the kubeconfig points at, V(public) or V(vpc).
  returned: success
  type: str
cluster_id:
  description: The id of the cluster.
  returned: success
  type: str
cluster_name:
  description: The name of the cluster.
  returned: success
  type: str
exposed:
  description: Whether the cluster's API server is exposed to the internet (C(Expose)).
  returned: success
  type: bool
"""

import hashlib
import os
import stat
import tempfile

from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.kce import CLUSTER_ARGS, ONE_CLUSTER, require_cluster

MODE = 0o600
# Long words of a kubeconfig (certificates, keys, tokens; longer than an id) are masked too, should one reach an output.
SECRET_WORD = 40


def _mode_text(mode):
    return None if mode is None else "%04o" % mode


def hide(module, text):
    """Ansible masks these values in everything the task returns or logs."""
    module.ansible.no_log_values.add(text)
    for word in text.split():
        if len(word) >= SECRET_WORD:
            module.ansible.no_log_values.add(word)


def download(module, cluster):
    public = module.params["api_server"] == "public"
    answer = module.client.download_cluster_config(cluster.cluster_id, public)
    text = answer.get("ClusterConfig") or ""
    if text:
        hide(module, text)
    if not text.strip():
        exposed = answer.get("Expose")
        raise ModuleError(
            "cluster %s answered with an empty %s kubeconfig%s; %s"
            % (
                cluster.label,
                "public" if public else "VPC",
                " (its API server is not exposed: Expose is false)" if exposed is False else "",
                (
                    "expose the API server to the internet in the KCE console, or use api_server=vpc from a host in "
                    "the cluster's VPC"
                    if public
                    else "the platform gives no kubeconfig while the API server is not exposed; expose it in the KCE "
                    "console"
                ),
            ),
            cluster_id=cluster.cluster_id,
            exposed=exposed,
        )
    return text.encode("utf-8"), answer.get("Expose")


def current(path):
    """(content, mode) of dest, (None, None) when it does not exist."""
    if os.path.isdir(path):
        raise ModuleError("dest: %s is a directory; give the path of the kubeconfig file to write" % path)
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise ModuleError(
            "dest: directory %s does not exist; create it first (ansible.builtin.file state=directory)" % directory
        )
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        return content, stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None, None
    except OSError as err:
        raise ModuleError("dest: %s cannot be read (%s); check its permissions" % (path, err.strerror)) from None


def write_atomically(path, content):
    """A 0600 temporary file in dest's directory, synced, then renamed over dest."""
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        os.fchmod(handle, MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except OSError as err:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise ModuleError("dest: %s could not be written (%s)" % (path, err.strerror)) from None


def ensure(module):
    path = module.params["dest"]
    old, old_mode = current(path)
    cluster = require_cluster(module, with_nodes=False, with_vpc_cni=False)
    content, exposed = download(module, cluster)
    checksum = hashlib.sha256(content).hexdigest()
    content_differs = old != content
    changed = content_differs or old_mode != MODE
    if changed and not module.check_mode:
        if content_differs:
            write_atomically(path, content)
        else:
            os.chmod(path, MODE)
    before = {"dest": path, "checksum": hashlib.sha256(old).hexdigest() if old is not None else None}
    before["mode"] = _mode_text(old_mode)
    after = {"dest": path, "checksum": checksum, "mode": _mode_text(MODE)}
    return module.result(
        changed,
        before,
        after,
        dest=path,
        checksum=checksum,
        mode=_mode_text(MODE),
        api_server=module.params["api_server"],
        cluster_id=cluster.cluster_id,
        cluster_name=cluster.name,
        exposed=exposed,
    )


def main():
    argument_spec = dict(
        dest=dict(type="path", required=True),
        api_server=dict(type="str", choices=["public", "vpc"], default="public"),
        **CLUSTER_ARGS,
    )
    KceModule(argument_spec, cloud=True, **ONE_CLUSTER).run(ensure)


if __name__ == "__main__":
    main()
