# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-subnet allocation lock: a coordination.k8s.io/v1 Lease ``kube-system/kcefip-subnet-<subnet id>``.

Held from the snapshot through AssignIp of a shared bind without a record, and across the two-call
windows of the fallback orders (UnassignIp -> ReserveIp, UnreserveIp -> AssignIp), so no bind of
this collection can choose an IP that another flow has chosen or is about to reserve. Every write
is conditional on the resourceVersion read; a holder that stops renewing loses the lock after the
lease duration (measured both by renewTime and by how long the Lease has not changed here).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import (
    as_dict,
    micro_time,
    parse_time,
    resource,
    status_of,
    utcnow,
)

LEASE_PREFIX = "kcefip-subnet-"
DEFAULT_NAMESPACE = "kube-system"
DEFAULT_DURATION = 30
DEFAULT_TIMEOUT = 60.0


class LockTimeout(FixedIpError):
    """The lock stayed with another holder for the whole wait."""


class LockLost(FixedIpError):
    """Another holder took the lock over (ours had expired), so the flow must stop and plan again."""


def lease_name(subnet_id: str) -> str:
    return LEASE_PREFIX + subnet_id.lower()


def default_identity(component: str = "ksyun.kce") -> str:
    """Who holds a lock, readable in the Lease: component@host/pid."""
    return "%s@%s/%d" % (component, socket.gethostname(), os.getpid())


class SubnetLock:
    """One subnet's Lease; acquire() waits at most ``timeout`` seconds, renew() keeps it, release() frees it."""

    def __init__(
        self,
        kube: Any,
        subnet_id: str,
        holder: str,
        namespace: str = DEFAULT_NAMESPACE,
        duration: int = DEFAULT_DURATION,
        timeout: float = DEFAULT_TIMEOUT,
        poll: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if int(duration) < 1:
            raise ValueError("lock duration must be at least 1 second, got %r" % (duration,))
        self.subnet_id, self.holder, self.namespace = subnet_id, holder, namespace
        self.name = lease_name(subnet_id)
        self.duration, self.timeout, self.poll = int(duration), float(timeout), poll
        self._sleep, self._clock, self._monotonic = sleep, clock, monotonic
        self._leases = resource(kube, "coordination.k8s.io/v1", "Lease")
        self._version: Optional[str] = None
        self._renewed_at = 0.0

    def __repr__(self) -> str:
        return "SubnetLock(%s/%s, holder=%s)" % (self.namespace, self.name, self.holder)

    @property
    def held(self) -> bool:
        return self._version is not None

    def _read(self) -> Optional[dict]:
        try:
            return as_dict(self._leases.get(name=self.name, namespace=self.namespace))
        except Exception as exc:  # the dynamic client's NotFoundError
            if status_of(exc) == 404:
                return None
            raise

    def _spec(self, acquired_at, transitions: int) -> dict:
        now = micro_time(self._clock())
        return {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.duration,
            "acquireTime": acquired_at or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    def _expired(self, spec: dict) -> bool:
        renewed = parse_time(spec.get("renewTime"))
        duration = int(spec.get("leaseDurationSeconds") or self.duration)
        return renewed is None or renewed + timedelta(seconds=duration) < self._clock()

    def _write(self, lease: Optional[dict], spec: dict) -> bool:
        """Create or replace the Lease conditionally; False when someone else wrote first."""
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": spec,
        }
        try:
            if lease is None:
                written = self._leases.create(body=body, namespace=self.namespace)
            else:
                body["metadata"]["resourceVersion"] = lease["metadata"]["resourceVersion"]
                written = self._leases.replace(body=body, name=self.name, namespace=self.namespace)
        except Exception as exc:
            if status_of(exc) in (409, 404):
                return False
            raise
        self._version = as_dict(written)["metadata"]["resourceVersion"]
        self._renewed_at = self._monotonic()
        return True

    def acquire(self) -> "SubnetLock":
        deadline = self._monotonic() + self.timeout
        seen_version, seen_since = None, self._monotonic()
        while True:
            lease = self._read()
            spec = (lease or {}).get("spec") or {}
            holder = spec.get("holderIdentity") or ""
            if lease is not None and lease["metadata"]["resourceVersion"] != seen_version:
                seen_version, seen_since = lease["metadata"]["resourceVersion"], self._monotonic()
            stale = self._monotonic() - seen_since >= int(spec.get("leaseDurationSeconds") or self.duration)
            if lease is None or not holder or holder == self.holder or self._expired(spec) or stale:
                transitions = int(spec.get("leaseTransitions") or 0) + (1 if holder and holder != self.holder else 0)
                if self._write(lease, self._spec(None, transitions)):
                    return self
                continue
            if self._monotonic() >= deadline:
                raise LockTimeout(
                    "the IP allocation lock of subnet %s (Lease %s/%s) is held by %s (renewed %s, lease %ss); waited %.0fs. If that "
                    "holder crashed, the lock expires after the lease duration; otherwise run again when it is done"
                    % (
                        self.subnet_id,
                        self.namespace,
                        self.name,
                        holder,
                        spec.get("renewTime"),
                        spec.get("leaseDurationSeconds"),
                        self.timeout,
                    )
                )
            self._sleep(self.poll)

    def renew(self) -> None:
        """Extend the lease; LockLost if another holder has taken it meanwhile."""
        lease = self._read()
        spec = (lease or {}).get("spec") or {}
        if (
            lease is None
            or spec.get("holderIdentity") != self.holder
            or lease["metadata"]["resourceVersion"] != self._version
        ):
            self._version = None
            raise LockLost(
                "the IP allocation lock of subnet %s (Lease %s/%s) was taken over by %s while this flow held it; "
                "stop and plan again"
                % (self.subnet_id, self.namespace, self.name, spec.get("holderIdentity") or "nobody")
            )
        if not self._write(lease, self._spec(spec.get("acquireTime"), int(spec.get("leaseTransitions") or 0))):
            self._version = None
            raise LockLost(
                "the IP allocation lock of subnet %s (Lease %s/%s) changed while renewing; stop and plan again"
                % (self.subnet_id, self.namespace, self.name)
            )

    def renew_if_due(self) -> None:
        """Renew once a third of the lease has passed (called between actions)."""
        if self.held and self._monotonic() - self._renewed_at >= self.duration / 3.0:
            self.renew()

    def release(self) -> None:
        """Clear the holder if it is still us (conditional write; losing the race to a new holder is fine)."""
        if not self.held:
            return
        lease = self._read()
        spec = dict((lease or {}).get("spec") or {})
        if lease is not None and spec.get("holderIdentity") == self.holder:
            spec["holderIdentity"] = None
            self._write(lease, spec)
        self._version = None

    def __enter__(self) -> "SubnetLock":
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()


class SubnetLocks:
    """Several subnet locks, taken in sorted order (no deadlock between flows) and released together."""

    def __init__(self, kube: Any, subnet_ids: Iterable[str], holder: str, **options: Any) -> None:
        unique = "%s/%s" % (holder, uuid.uuid4().hex[:8])
        self.locks: Dict[str, SubnetLock] = {
            subnet: SubnetLock(kube, subnet, unique, **options) for subnet in sorted(set(subnet_ids))
        }

    @property
    def subnet_ids(self) -> List[str]:
        return sorted(self.locks)

    def acquire(self) -> "SubnetLocks":
        taken = []
        try:
            for subnet in sorted(self.locks):
                taken.append(self.locks[subnet].acquire())
        except BaseException:
            for lock in reversed(taken):
                lock.release()
            raise
        return self

    def renew_if_due(self) -> None:
        for lock in self.locks.values():
            lock.renew_if_due()

    def release(self) -> None:
        for subnet in sorted(self.locks, reverse=True):
            self.locks[subnet].release()

    def __enter__(self) -> "SubnetLocks":
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()
