"""What the preflight and multus tests share: a run with what it wrote to the cloud and the cluster, and cleanup."""

from pathlib import Path

from fixed_ip_sandbox import ACCESS_KEY_ID
from kubernetes.client.rest import ApiException

from apiserver_requests import ApiserverWrites, wait_until_no_writes
from playbook_runner import delta

REPO = Path(__file__).resolve().parents[3]
PREFLIGHT = REPO / "playbooks" / "preflight.yml"


class Counted:
    """A run with what it wrote: ``cloud_writes`` / ``cloud_reads`` (by action, the tests' access key only) and
    ``cluster_writes`` (mutating requests the apiserver counted, the sandbox's own heartbeats left out)."""

    def __init__(self, run, cloud_before, cloud_after, cluster_writes):
        self.run = run
        self.cloud_writes = delta(cloud_after["writes"], cloud_before["writes"])
        self.cloud_reads = delta(cloud_after["reads"], cloud_before["reads"])
        self.cluster_writes = cluster_writes

    def __repr__(self):
        return "Counted(%r, cloud_writes=%r, cluster_writes=%r)" % (self.run, self.cloud_writes, self.cluster_writes)


def counted(api, admin, wait_for, play):
    """Counted of play() (an ansible-playbook run returning a Run), once what was set up before has settled."""
    wait_until_no_writes(api, wait_for)
    before = admin.counters(caller=ACCESS_KEY_ID)
    with ApiserverWrites(api) as writes:
        run = play()
    return Counted(run, before, admin.counters(caller=ACCESS_KEY_ID), writes.counted)


def delete_and_wait(dyn_client, wait_for, api_version, kind, name, namespace=None):
    """Delete an object (if there) and wait until it is gone."""
    resource = dyn_client.resources.get(api_version=api_version, kind=kind)
    try:
        resource.delete(name=name, namespace=namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise

    def gone():
        try:
            resource.get(name=name, namespace=namespace)
        except ApiException as exc:
            if exc.status == 404:
                return True
            raise
        return False

    wait_for("%s %s deleted" % (kind, name), gone, timeout=120)
