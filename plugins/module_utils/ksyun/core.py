# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One place for every API call: retries with backoff, error conversion, call log."""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun import transport
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.config import ClientConfig
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import (
    NETWORK_ERROR,
    KsyunApiError,
    KsyunConfigError,
    classify_retryable,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.metrics import CallLog
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

WRITE_ACTIONS = frozenset(
    (
        "CreateNetworkInterface",
        "DeleteNetworkInterface",
        "ModifyNetworkInterface",
        "AssignPrivateIpAddress",
        "UnassignPrivateIpAddress",
        "ModifyPrivateIpAddressAttribute",
        "AttachNetworkInterface",
        "DetachNetworkInterface",
        "ModifyNetworkInterfaceAttribute",
        "AllocateAddress",
        "ReleaseAddress",
        "AssociateAddress",
        "DisassociateAddress",
        "CreateTagAndAttachResource",
        "ModifyCluster",
    )
)


class KsyunCore:
    """Credentials/region/endpoint as in ClientConfig.resolve; ``retry`` a RetryPolicy; ``call_log`` a CallLog."""

    def __init__(
        self,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        scheme: Optional[str] = None,
        timeout: Optional[float] = None,
        method: Optional[str] = None,
        proxy: Optional[str] = None,
        retry: Optional[RetryPolicy] = None,
        call_log: Optional[CallLog] = None,
        env: Optional[Mapping[str, str]] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not transport.HAS_KSYUN_SDK:
            raise KsyunConfigError(
                "the Python package %s is required (import failed: %s)"
                % (transport.SDK_PACKAGE, transport.KSYUN_SDK_IMPORT_ERROR)
            )
        self.config = ClientConfig.resolve(
            access_key_id, secret_access_key, region, endpoint, scheme, timeout, method, proxy, env
        )
        self.retry = retry or RetryPolicy()
        self.call_log = call_log or CallLog()
        self._sleep = sleep
        self._clients = {}

    def clone(self) -> "KsyunCore":
        """A client of its own (own HTTP session) with the same settings, retry policy and call log: one per worker thread."""
        twin = type(self).__new__(type(self))
        twin.config, twin.retry, twin.call_log, twin._sleep, twin._clients = (
            self.config,
            self.retry,
            self.call_log,
            self._sleep,
            {},
        )
        return twin

    def __repr__(self):
        return "%s(%r, %r)" % (type(self).__name__, self.config, self.retry)

    def _sdk(self, service):
        if service not in self._clients:
            self._clients[service] = transport.build_sdk_client(service, self.config)
        return self._clients[service]

    def _error(self, exc, what, action, write, attempt):
        status = getattr(exc, "status", None)
        sent = getattr(exc, "sent", True)
        code = exc.code
        if status is None and code and code != NETWORK_ERROR:
            status = 200
        message = self.config.redact(exc.message)
        retryable = classify_retryable(status, code, message)
        ambiguous = code == NETWORK_ERROR and write and sent
        return KsyunApiError(
            what, code, message, self.config.redact(exc.requestId), status, retryable, attempt, action, ambiguous
        )

    def call(self, service: str, action: str, params: Mapping[str, Any], what: str) -> Dict[str, Any]:
        """Send ``action`` with SDK-shaped ``params``; returns the parsed response dict or raises KsyunApiError.

        ``what`` completes "Failed to ..." (e.g. "attach network interface X to instance Y").
        """
        write = action in WRITE_ACTIONS
        what = self.config.redact(what)
        sdk = self._sdk(service)
        params = {k: v for k, v in params.items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                body = getattr(sdk, action)(transport.new_request(service, action, params))
            except transport.KsyunSDKException as exc:
                err = self._error(exc, what, action, write, attempt)
                self.call_log.record(service, action, attempt, time.monotonic() - started, err.code)
                if (
                    not err.retryable
                    or attempt >= self.retry.attempts
                    or (err.ambiguous and not self.retry.retry_ambiguous_writes)
                ):
                    raise err from None
                self._sleep(self.retry.delay(attempt))
                continue
            self.call_log.record(service, action, attempt, time.monotonic() - started)
            try:
                return json.loads(body)
            except (TypeError, ValueError):
                raise KsyunApiError(
                    what, "InvalidResponse", "the answer is not JSON: %r" % str(body)[:200], action=action
                ) from None
