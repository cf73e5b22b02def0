"""kce DownloadClusterConfig through the official SDK: a self-contained kubeconfig made from a sandbox-style kubeconfig
(JSON naming PEM files), public (127.0.0.1) and VPC-internal (localhost) variants, Expose and its [U] setting."""

import base64
import json

import pytest
import yaml
from kce_support import CLUSTER, PY_SDK_LISTS, call, clients, kce_emulator, refused

from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.__main__ import main

pytestmark = pytest.mark.emulator
_FIXTURES = (kce_emulator,)  # pytest fixtures used by name below

PEMS = {
    "ca.crt": b"-----BEGIN CERTIFICATE-----\nY2EgY2VydA==\n-----END CERTIFICATE-----\n",
    "admin.crt": b"-----BEGIN CERTIFICATE-----\nYWRtaW4gY2VydA==\n-----END CERTIFICATE-----\n",
    "admin.key": b"-----BEGIN PRIVATE KEY-----\nYWRtaW4ga2V5\n-----END PRIVATE KEY-----\n",
}


@pytest.fixture
def sandbox_kubeconfig(tmp_path):
    """A kubeconfig shaped like sandbox/controlplane/cluster.py kubeconfig_text, with dummy PEM files."""
    for name, data in PEMS.items():
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "ksyun-kce-sandbox",
                "clusters": [
                    {
                        "name": "sandbox",
                        "cluster": {
                            "server": "https://127.0.0.1:46443",
                            "certificate-authority": str(tmp_path / "ca.crt"),
                        },
                    }
                ],
                "users": [
                    {
                        "name": "admin",
                        "user": {
                            "client-certificate": str(tmp_path / "admin.crt"),
                            "client-key": str(tmp_path / "admin.key"),
                        },
                    }
                ],
                "contexts": [{"name": "ksyun-kce-sandbox", "context": {"cluster": "sandbox", "user": "admin"}}],
            }
        )
    )
    return path


@pytest.fixture
def with_kubeconfig(topology, sandbox_kubeconfig):
    """Factory: an emulator started with ``kubeconfig=`` (and the topology / settings given)."""
    started = []

    def start(topo=None, **settings):
        emu = Emulator(topo or topology, settings=dict(PY_SDK_LISTS, **settings), kubeconfig=str(sandbox_kubeconfig))
        emu.start()
        started.append(emu)
        return clients(emu)

    yield start
    for emu in started:
        emu.stop()


def _download(sdk, **kwargs):
    return call(sdk.v1, "DownloadClusterConfig", ClusterId=CLUSTER, **kwargs)


def test_the_public_kubeconfig_is_yaml_with_the_certificates_embedded(with_kubeconfig):
    answer = _download(with_kubeconfig())
    assert answer["RequestId"] and answer["Expose"] is True
    doc = yaml.safe_load(answer["ClusterConfig"])
    cluster, user, context = doc["clusters"][0], doc["users"][0], doc["contexts"][0]
    assert cluster["cluster"]["server"] == "https://127.0.0.1:46443"
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]) == PEMS["ca.crt"]
    assert base64.b64decode(user["user"]["client-certificate-data"]) == PEMS["admin.crt"]
    assert base64.b64decode(user["user"]["client-key-data"]) == PEMS["admin.key"]
    assert doc["current-context"] == context["name"] == cluster["name"] == "sandbox"
    assert context["context"] == {"cluster": "sandbox", "user": user["name"]}
    assert "certificate-authority" not in cluster["cluster"] and "client-key" not in user["user"]


@pytest.mark.parametrize("is_public", [True, "True", "true"])
def test_is_public_true_in_any_spelling_is_the_public_variant(with_kubeconfig, is_public):
    assert "127.0.0.1" in _download(with_kubeconfig(), IsPublic=is_public)["ClusterConfig"]


@pytest.mark.parametrize("is_public", [False, "false"])
def test_is_public_false_is_the_internal_variant_on_localhost(with_kubeconfig, is_public):
    doc = yaml.safe_load(_download(with_kubeconfig(), IsPublic=is_public)["ClusterConfig"])
    assert doc["clusters"][0]["cluster"]["server"] == "https://localhost:46443"
    assert doc["current-context"] == doc["clusters"][0]["name"] == "sandbox-internal"
    assert base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"]) == PEMS["ca.crt"]


def test_strict_booleans_refuse_the_sdks_capitalised_false(with_kubeconfig):
    sdk = with_kubeconfig(kce_strict_booleans=True)
    err = refused(_download, sdk, IsPublic=False)  # the SDK sends str(False) == "False"
    assert (
        err.error_code == "InvalidParameterValue" and "IsPublic" in err.error_message and "False" in err.error_message
    )
    assert "localhost" in _download(sdk, IsPublic="false")["ClusterConfig"]


def test_not_exposed_blanks_both_variants_by_default(with_kubeconfig, topology):
    topology["kce"]["clusters"][0]["expose"] = False
    sdk = with_kubeconfig(topology)
    public, internal = _download(sdk), _download(sdk, IsPublic="false")
    assert (public["Expose"], public["ClusterConfig"], internal["Expose"], internal["ClusterConfig"]) == (
        False,
        "",
        False,
        "",
    )


def test_not_exposed_keeps_the_internal_variant_on_the_other_side(with_kubeconfig, topology):
    topology["kce"]["clusters"][0]["expose"] = False
    sdk = with_kubeconfig(topology, kce_blank_internal_config=False)
    assert _download(sdk)["ClusterConfig"] == ""
    assert "localhost" in _download(sdk, IsPublic="false")["ClusterConfig"]


def test_without_a_kubeconfig_the_answer_is_an_error_naming_the_missing_option(kce_emulator):
    err = refused(_download, clients(kce_emulator))
    assert not err.http_200 and err.error_code == "ClusterConfigUnavailable" and "--kubeconfig" in err.error_message


def test_an_unknown_cluster_is_not_found(with_kubeconfig):
    err = refused(call, with_kubeconfig().v1, "DownloadClusterConfig", ClusterId="5f2c7a10-0006-4a6e-9c1b-0000000000ff")
    assert err.error_code == "InvalidClusterId.NotFound"


def test_a_missing_certificate_file_is_named(with_kubeconfig, tmp_path):
    sdk = with_kubeconfig()
    (tmp_path / "admin.key").unlink()
    err = refused(_download, sdk)
    assert err.error_code == "ClusterConfigUnavailable" and "admin.key" in err.error_message


def test_the_command_line_passes_both_kubeconfig_options_to_the_emulator(sandbox_kubeconfig, monkeypatch):
    """``python -m sandbox.ksyun_emulator --kubeconfig PATH --platform-kubeconfig PATH`` (what the sandbox runs)."""
    seen = {}

    class Started(Exception):
        pass

    def start(emu):
        seen.update(kubeconfig=emu.kce.kubeconfig, platform=emu.kce.platform_kubeconfig)
        raise Started()

    monkeypatch.setattr(Emulator, "start", start)
    with pytest.raises(Started):
        main(["--kubeconfig", str(sandbox_kubeconfig), "--platform-kubeconfig", str(sandbox_kubeconfig)])
    assert seen == {"kubeconfig": str(sandbox_kubeconfig), "platform": str(sandbox_kubeconfig)}
