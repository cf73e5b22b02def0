"""python -m sandbox.demo: the product page's demonstration done the way users do it, in both ENI modes.

It starts a bare sandbox of its own (control plane, KSYUN emulator with the KCE API, node agent; no add-on), shows the
KCE cluster as the KCE API describes it (``ksyun.kce.cluster_info``), runs ``ansible-playbook ksyun.kce.deploy`` with
the cluster id only (``vpc_cni_cluster_id``: the vpc_cni role switches VPC-CNI on through the KCE API and the sandbox's
platform installs the add-on, as on managed KCE) and the product page's StatefulSet in shared and in exclusive ENI mode
(sandbox/demo/statefulsets.yml): multus, VPC-CNI and the fixed-IP StatefulSets. It shows
``kubectl get po -owide`` and the PodEniIP/PodEni records (``kubectl get podeniip``, ``kubectl get podeni``), runs
``ansible-playbook ksyun.kce.verify_fixed_ip`` (the pod deleted and back with the same IP, and the same ENI in exclusive
mode), then keeps each pod away (``kubectl scale``, replicas 0) to show the IP reserved in the cloud and brings it back
on another node of the subnet (``kubectl cordon``). Every ``$ kubectl`` line is the real kubectl built with the control
plane (sandbox/kubectl.py), run with the sandbox's kubeconfig, and what follows it is its output; the checks read the
API. The cloud's side is shown through the collection's info modules. Ends with PASS or FAIL (exit status 1).
"""

import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from kubernetes import client, config
from kubernetes.client.rest import ApiException

from sandbox import kubectl
from sandbox.addons import kce_cluster_id
from sandbox.controlplane import cluster as sandbox
from sandbox.node_agent.vpc_cni import CLUSTER_NAME
from sandbox.paths import collections_root, state_dir

NAMESPACE = "default"
SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
STATEFULSETS = Path(__file__).resolve().parent / "statefulsets.yml"
# mode -> StatefulSet of sandbox/demo/statefulsets.yml
NAMES = {"shared": "sts", "exclusive": "sts-ex"}
MODES = {
    "shared": ({"k8s.ksyun.com/pod-eniip": "true"}, {"ksyun/eni-private-ip": "1"}, "PodEniIP", "podeniips"),
    "exclusive": ({"k8s.ksyun.com/pod-eni": "true"}, {"ksyun/eni": "1"}, "PodEni", "podenis"),
}
TIMEOUT = 120.0


class DemoFailed(Exception):
    """What the demonstration expected and what it saw instead."""


def say(text=""):
    print(text, flush=True)


class Demo:
    def __init__(self, state):
        self.state, self.root = state, Path(state["root"])
        api = config.new_client_from_config(config_file=state["kubeconfig"])
        self.core, self.custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
        # The emulator wants signed requests, not real keys; the secret must not equal any shown text (Ansible masks it).
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
            KSYUN_ACCESS_KEY_ID="demo-access-key",
            KSYUN_SECRET_ACCESS_KEY="demo-secret-key-not-real",
            KSYUN_REGION="cn-beijing-6",
            KSYUN_ENDPOINT="http://" + state["ksyun_endpoint"],
            K8S_AUTH_KUBECONFIG=state["kubeconfig"],
            ANSIBLE_STDOUT_CALLBACK="oneline",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
        )

    # --- reading -------------------------------------------------------------------------------------

    def pod(self, name):
        try:
            return self.core.read_namespaced_pod(name, NAMESPACE)
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def wait(self, what, predicate):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.2)
        raise DemoFailed(f"timed out after {TIMEOUT:.0f}s waiting for {what}")

    def running(self, name, other_than=None):
        def ready():
            pod = self.pod(name)
            if (
                pod is None
                or pod.metadata.uid == other_than
                or pod.metadata.deletion_timestamp
                or not pod.status.pod_ip
            ):
                return None
            return pod if any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []) else None

        return self.wait(f"pod {name} Running and Ready with an IP", ready)

    def kubectl(self, *args, comment=""):
        """Run the real kubectl against the demo's sandbox: print the command and its output, return its stdout."""
        say(f"$ kubectl {' '.join(args)}" + (f"   # {comment}" if comment else ""))
        out = kubectl.run(self.state, *args)
        for line in (out.stdout + out.stderr).splitlines():
            say(line)
        if out.returncode != 0:
            raise DemoFailed(f"kubectl {' '.join(args)} failed (exit {out.returncode})")
        return out.stdout

    def records(self, mode):
        """The reservation records of a mode (PodEniIP or PodEni) in the demo's namespace, from the API."""
        plural = MODES[mode][3]
        return self.custom.list_namespaced_custom_object("k8s.ksyun.com", "v1", NAMESPACE, plural)["items"]

    def show(self, pod_name, mode):
        """`kubectl get po NAME -owide` and `kubectl get podeniip` / `kubectl get podeni`, as the product page shows them."""
        self.kubectl("get", "po", pod_name, "-owide")
        self.kubectl("get", MODES[mode][2].lower())

    def module(self, name, args):
        """Run one of the collection's modules against the emulated cloud (ansible ad hoc) and return its result."""
        argv = [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-i",
            "localhost,",
            "-c",
            "local",
            "-m",
            f"ksyun.kce.{name}",
            "-a",
            json.dumps(args),
            "-e",
            f"ansible_python_interpreter={sys.executable}",
        ]
        out = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=False)
        if out.returncode != 0 or "=>" not in out.stdout:
            raise DemoFailed(f"ksyun.kce.{name} failed: {out.stdout.strip()} {out.stderr.strip()}")
        return json.loads(out.stdout.split("=>", 1)[1])

    def playbook(self, name, *extra):
        """``ansible-playbook ksyun.kce.<name>``: print the command and the lines worth reading, return the output."""
        argv = [str(Path(sys.executable).parent / "ansible-playbook"), f"ksyun.kce.{name}", *extra]
        shown = " ".join(a if " " not in a else f"'{a}'" for a in argv[1:])
        say("$ ansible-playbook " + shown.replace(str(self.root) + "/", "").replace(str(STATEFULSETS.parent) + "/", ""))
        env = dict(
            self.env, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_NOCOLOR="1"
        )
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, cwd=self.root)
        for line in out.stdout.splitlines():
            text = line.strip()
            text = (text[len('"msg": ') :] if text.startswith('"msg": ') else text).strip('"')
            if (
                text.startswith(("PLAY [", "localhost "))
                or text.startswith(("PASS ", "FAIL "))
                or " ENI mode, zone " in text
            ):
                say("  " + text)
        if out.returncode != 0:
            raise DemoFailed(
                f"ansible-playbook ksyun.kce.{name} failed (rc {out.returncode}):\n{out.stdout[-3000:]}{out.stderr[-2000:]}"
            )
        return out.stdout

    def show_cloud(self, ip, mode):
        """The ENI that holds ip (ksyun.kce.eni_info); in shared mode also whether the subnet keeps it reserved (ksyun.kce.subnet_info)."""
        enis = self.module("eni_info", {"private_ip_address": ip})["network_interfaces"]
        say(
            f"$ ansible localhost -m ksyun.kce.eni_info -a private_ip_address={ip}"
            + ("   # and ksyun.kce.subnet_info" if mode == "shared" else "")
        )
        for eni in enis:
            role = "primary IP" if eni["private_ip_address"] == ip else "secondary IP"
            where = f"attached to instance {eni['instance_id']}" if eni["instance_id"] else "detached, keeping its IP"
            say(f"  ENI {eni['id']} ({eni['name']}): {ip} is its {role}; {where}")
        if not enis:
            say(f"  no ENI holds {ip}")
        reserved = False
        if mode == "shared":
            subnet = self.module("subnet_info", {"subnet_ids": [SUBNET]})["subnets"][0]
            reserved = ip in (subnet.get("reserved_addresses") or [])
            state = (
                "RESERVED (AllocateStatus=specific): random allocation cannot take it"
                if reserved
                else "not reserved (it is in use)"
            )
            say(f"  subnet {subnet['cidr_block']}: {ip} is {state}")
        return enis[0] if enis else None, reserved

    # --- the demonstration -------------------------------------------------------------------------

    def show_cluster(self, cluster_id):
        """The KCE cluster as the KCE API describes it (ksyun.kce.cluster_info): VPC, VPC-CNI, nodes."""
        cluster = self.module("cluster_info", {"cluster_id": cluster_id})["clusters"][0]
        say(f"$ ansible localhost -m ksyun.kce.cluster_info -a cluster_id={cluster_id}")
        vpc_cni = cluster["vpc_cni"] or {}
        say(
            f"  cluster {cluster['name']} ({cluster['manage_mode']}, Kubernetes {cluster['kubernetes_version']}, "
            f"{cluster['status']}), VPC {cluster['vpc_id']}, VPC-CNI "
            + (f"on ({vpc_cni['daemon_mode']})" if vpc_cni.get("enabled") else "off")
        )
        for node in cluster["nodes"]:
            say(f"  node {node['name']}: {node['instance_id']} {node['instance_type']} {node['availability_zone']}")
        return cluster

    def deploy(self):
        """multus, VPC-CNI (through the KCE API) and both StatefulSets, by ansible-playbook ksyun.kce.deploy."""
        say("\n==== the KCE cluster, as the KCE API describes it")
        cluster_id = kce_cluster_id(self.state["topology"])
        self.show_cluster(cluster_id)
        say(
            "\n==== deploy: multus, VPC-CNI switched on through the KCE API, the product page's StatefulSet in each ENI mode"
        )
        self.playbook("deploy", "-e", f"@{self.root / 'kce-vars.yml'}", "-e", f"@{STATEFULSETS}")
        if not (self.show_cluster(cluster_id)["vpc_cni"] or {}).get("enabled"):
            raise DemoFailed(f"the KCE API does not report VPC-CNI on for cluster {cluster_id} after deploy")

    def run_mode(self, mode):
        name = NAMES[mode]
        pod_name = f"{name}-0"
        say(
            f'\n==== {mode} ENI mode: annotation {next(iter(MODES[mode][0]))}: "true", resource {next(iter(MODES[mode][1]))}: "1"'
        )
        first = self.running(pod_name)
        ip = first.status.pod_ip
        self.show(pod_name, mode)
        eni_before = self.show_cloud(ip, mode)[0]

        say()
        self.playbook("verify_fixed_ip", "-e", json.dumps({"verify_fixed_ip_statefulsets": [{"name": name}]}))
        again = self.running(pod_name, other_than=first.metadata.uid)
        self.kubectl("get", "po", pod_name, "-owide")
        if again.status.pod_ip != ip:
            raise DemoFailed(f"{mode}: re-created {pod_name} has IP {again.status.pod_ip}, not {ip}")

        say()
        self.kubectl(
            "scale", "sts", name, "--replicas=0", comment=f"no pod holds the IP now: it stays reserved for {pod_name}"
        )
        self.wait(f"{pod_name} deleted", lambda: self.pod(pod_name) is None)
        self.kubectl("get", MODES[mode][2].lower())
        records = self.records(mode)
        eni_kept, reserved = self.show_cloud(ip, mode)
        if not records or records[0]["status"].get("phase") != "Reserved":
            raise DemoFailed(f"{mode}: the record of {ip} is not Reserved after the pod was deleted")
        if mode == "shared" and not reserved:
            raise DemoFailed(f"shared: {ip} is not reserved in the subnet while no pod holds it")
        if mode == "exclusive" and (eni_kept is None or eni_kept["instance_id"]):
            raise DemoFailed(f"exclusive: the ENI of {ip} is not kept detached while no pod holds it")

        node = again.spec.node_name
        say()
        self.kubectl("cordon", node, comment=f"{pod_name} comes back on another node")
        try:
            self.kubectl("scale", "sts", name, "--replicas=1")
            moved = self.running(pod_name, other_than=again.metadata.uid)
        finally:
            self.core.patch_node(node, {"spec": {"unschedulable": False}})  # kubectl uncordon, without the noise
        self.show(pod_name, mode)
        eni_after = self.show_cloud(ip, mode)[0]
        if moved.status.pod_ip != ip or moved.spec.node_name == node:
            raise DemoFailed(
                f"{mode}: {pod_name} came back on {moved.spec.node_name} with IP {moved.status.pod_ip}, expected {ip} on another node"
            )
        if mode == "exclusive" and (eni_after or {}).get("id") != (eni_before or {}).get("id"):
            raise DemoFailed(f"exclusive: the pod's ENI changed from {eni_before} to {eni_after}")
        same_eni = f", same ENI {eni_after['id']}" if mode == "exclusive" else ""
        return f"{mode}: {pod_name} kept {ip} after deletion and on node {moved.spec.node_name} (was {node}){same_eni}"


def main() -> int:
    # A sandbox of its own, so a developer's running sandbox (and its state) is never touched.
    root = Path(os.environ.get("KSYUN_KCE_DEMO_DIR") or str(state_dir()) + "-demo")
    started = time.monotonic()
    say(f"ksyun.kce demo: KCE fixed Pod IP in a local sandbox (cluster {CLUSTER_NAME}, state in {root})")
    if sandbox.running(sandbox.read_state(root)):
        sandbox.down(out=sys.stdout, root=root, quiet=True)
    outcome, code = [], 1
    try:
        state = sandbox.up(out=sys.stdout, root=root, addons=False)
        demo = Demo(state)
        demo.deploy()
        for mode in MODES:
            outcome.append(demo.run_mode(mode))
        code = 0
    except DemoFailed as err:
        outcome.append(str(err))
    except Exception as err:  # noqa: BLE001 - any failure must end in a FAIL line and a stopped sandbox
        traceback.print_exc()
        outcome.append(f"{type(err).__name__}: {err}")
    finally:
        sandbox.down(out=sys.stdout, root=root)
    say("\n" + "\n".join(outcome))
    say(
        f"{'PASS' if code == 0 else 'FAIL'}: the product page's demonstration with ansible-playbook (deploy; delete sts-0, same"
        f" IP; away and back on another node, same IP) in shared and exclusive ENI mode, {time.monotonic() - started:.0f}s"
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
