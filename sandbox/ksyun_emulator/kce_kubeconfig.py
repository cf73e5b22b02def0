"""DownloadClusterConfig's kubeconfig: a self-contained YAML kubeconfig made from the sandbox's kubeconfig.

The sandbox kubeconfig (sandbox/controlplane/cluster.py kubeconfig_text) is JSON naming the CA, client certificate
and key by file path; the answer embeds them (``*-data``, base64) so it works anywhere, as a cloud's download does.
The public variant points at ``https://127.0.0.1:<port>``, the VPC-internal one at ``https://localhost:<port>`` (the
apiserver certificate has both names, sandbox/controlplane/certs.py) under the names ``<cluster>-internal``.
"""

import base64
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from .errors import ApiError


def _unavailable(why):
    return ApiError(
        "ClusterConfigUnavailable",
        "DownloadClusterConfig has no kubeconfig to return: %s. Start the emulator with --kubeconfig PATH "
        "(in-process: Emulator(..., kubeconfig=PATH))." % why,
    )


def _data(section, key, base):
    """Base64 of ``key-data`` as given, or of the file ``key`` names (relative to the kubeconfig's folder)."""
    if section.get(key + "-data"):
        return section[key + "-data"]
    path = section.get(key)
    if not path:
        raise _unavailable("the sandbox kubeconfig has neither %s nor %s-data" % (key, key))
    full = Path(path) if Path(path).is_absolute() else base / path
    try:
        return base64.b64encode(full.read_bytes()).decode()
    except OSError as exc:
        raise _unavailable("cannot read %s %s (%s)" % (key, full, exc.strerror)) from None


def _current(doc, kind, name):
    for entry in doc.get(kind + "s") or []:
        if entry.get("name") == name:
            return entry.get(kind) or {}
    raise _unavailable("the sandbox kubeconfig has no %s named %r" % (kind, name))


def load(path):
    """``{"port", "ca", "cert", "key"}`` from the sandbox kubeconfig at ``path`` (read on every call)."""
    if not path:
        raise _unavailable("the emulator was started without --kubeconfig")
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))  # JSON is YAML
    except (OSError, yaml.YAMLError) as exc:
        raise _unavailable("cannot read the sandbox kubeconfig %s (%s)" % (path, exc)) from None
    if not isinstance(doc, dict):
        raise _unavailable("the sandbox kubeconfig %s is not a mapping" % path)
    context = _current(doc, "context", doc.get("current-context"))
    cluster = _current(doc, "cluster", context.get("cluster"))
    user = _current(doc, "user", context.get("user"))
    server = urlsplit(cluster.get("server") or "")
    if server.scheme != "https" or not server.port:
        raise _unavailable("the sandbox kubeconfig's server %r is not https://host:port" % cluster.get("server"))
    base = path.parent
    return {
        "port": server.port,
        "ca": _data(cluster, "certificate-authority", base),
        "cert": _data(user, "client-certificate", base),
        "key": _data(user, "client-key", base),
    }


def render(sandbox, cluster_name, public):
    """The kubeconfig YAML text of one variant."""
    name = cluster_name if public else cluster_name + "-internal"
    host = "127.0.0.1" if public else "localhost"
    user = name + "-admin"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": {
                    "server": "https://%s:%d" % (host, sandbox["port"]),
                    "certificate-authority-data": sandbox["ca"],
                },
            }
        ],
        "users": [
            {"name": user, "user": {"client-certificate-data": sandbox["cert"], "client-key-data": sandbox["key"]}}
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": user}}],
        "current-context": name,
        "preferences": {},
    }
    return yaml.safe_dump(doc, default_flow_style=False, sort_keys=False)
