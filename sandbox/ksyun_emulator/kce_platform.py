"""How a cluster's VpcCNI change settles: call-driven (contract tests) or applied by the sandbox's platform.

Without a platform the change shows ``Updating`` for ``kce_settle_describes`` DescribeClusters answers, then
``Running``. With one (``--platform-kubeconfig PATH``), a worker thread per cluster calls
``sandbox.platform.reconcile_vpc_cni(PATH, cluster)`` outside the state lock, one call at a time per cluster; a change
made while a call runs waits for it, and only the latest change's outcome is kept: ``Running`` when it returns,
``Failed`` with the exception's text in ``Status.Message`` when it raises.
"""

import importlib
import sys
import threading
import traceback

from . import kce_vpc_cni, kce_words


def _sandbox_reconcile(kubeconfig, cluster):
    return importlib.import_module("sandbox.platform").reconcile_vpc_cni(kubeconfig, cluster)


class KceRuntime:
    """What the KCE actions need beyond the state: the kubeconfig to hand out and the platform to call."""

    def __init__(self, state, kubeconfig=None, platform_kubeconfig=None, reconcile=None):
        self.state = state
        self.kubeconfig = kubeconfig
        self.platform_kubeconfig = platform_kubeconfig
        self.reconcile = reconcile or (_sandbox_reconcile if platform_kubeconfig else None)
        self._workers = {}  # cluster id -> (Thread, epoch)
        self._epoch = 0  # bumped by reset: a reconcile started before it is forgotten

    @property
    def platform(self):
        return self.reconcile is not None

    def changed(self, cluster):
        """Under the state lock: the cluster's VpcCNI was just changed."""
        cluster["generation"] += 1
        cluster["message"] = ""
        cluster["phase"] = kce_words.CLUSTER_UPDATING
        if self.platform:
            cluster["settle_left"] = 0
            self._start(cluster["id"])
            return
        cluster["settle_left"] = max(0, self.state.settings.kce_settle_describes)
        if not cluster["settle_left"]:
            cluster["phase"] = kce_words.CLUSTER_RUNNING

    def shown(self, cluster):
        """Under the state lock, after an answer showed the cluster's phase: one describe less to settle."""
        if self.platform or cluster["phase"] != kce_words.CLUSTER_UPDATING:
            return False
        cluster["settle_left"] = max(0, cluster["settle_left"] - 1)
        if not cluster["settle_left"]:
            cluster["phase"] = kce_words.CLUSTER_RUNNING
            return True
        return False

    def resume(self):
        """After a start on a saved state: reconcile again what was still updating when the emulator stopped."""
        if not self.platform:
            return
        with self.state.lock:
            for cluster in self.state.data["kce"]["clusters"].values():
                if cluster["phase"] == kce_words.CLUSTER_UPDATING:
                    self._start(cluster["id"])

    def reset(self):
        """Forget the reconciles in flight (emulator reset or stop): their outcome is not written."""
        with self.state.lock:
            self._epoch += 1

    def _start(self, cluster_id):
        running = self._workers.get(cluster_id)
        if running is not None and running[1] == self._epoch and running[0].is_alive():
            return  # it picks the new generation up when its current call returns
        worker = threading.Thread(
            target=self._run, args=(cluster_id, self._epoch), name="kce-platform-" + cluster_id, daemon=True
        )
        self._workers[cluster_id] = (worker, self._epoch)
        worker.start()

    def _run(self, cluster_id, epoch):
        done = None
        while True:
            with self.state.lock:
                cluster = self.state.data["kce"]["clusters"].get(cluster_id)
                if epoch != self._epoch or cluster is None or cluster["generation"] == done:
                    if self._workers.get(cluster_id, (None,))[0] is threading.current_thread():
                        del self._workers[cluster_id]
                    return
                generation = cluster["generation"]
                view = kce_vpc_cni.platform_view(self.state.data, cluster)
            try:
                self.reconcile(self.platform_kubeconfig, view)
                outcome = (kce_words.CLUSTER_RUNNING, "")
            except Exception as exc:  # noqa: BLE001 - any failure of the platform is the cluster's failed phase
                traceback.print_exc(file=sys.stderr)
                outcome = (kce_words.CLUSTER_FAILED, str(exc) or type(exc).__name__)
            with self.state.lock:
                cluster = self.state.data["kce"]["clusters"].get(cluster_id)
                if epoch == self._epoch and cluster is not None and cluster["generation"] == generation:
                    cluster["phase"], cluster["message"] = outcome
                    self.state.save()
            done = generation
