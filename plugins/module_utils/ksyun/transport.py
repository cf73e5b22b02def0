# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The official SDK behind a thin adapter: real error codes and HTTP status, proxies handled, typed transport errors.

SDK pitfalls handled here (reference §1.4, §1.5):
- non-200 answers lose their code in the stock ``_check_status``; ours raises the body's code, message,
  request id and the HTTP status;
- the SDK decides about proxies by a substring test of NO_PROXY; ours lets ``requests`` apply the
  environment's proxy rules, and talks to loopback endpoints directly without touching ``os.environ``;
- a transport failure says whether the request could have reached the server (for safe retries).
"""

from __future__ import annotations

import json
import traceback
from typing import Any, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.config import ClientConfig

try:
    import requests
    from ksyun.client.eip.v20160304 import models as _eip_models
    from ksyun.client.eip.v20160304.client import EipClient
    from ksyun.client.kce2.v20230101 import models as _kce2_models
    from ksyun.client.kce2.v20230101.client import Kce2Client
    from ksyun.client.kce.v20190806 import models as _kce_models
    from ksyun.client.kce.v20190806.client import KceClient as Kce20190806Client
    from ksyun.client.kce.v20230101 import models as _kce_20230101_models
    from ksyun.client.kce.v20230101.client import KceClient as Kce20230101Client
    from ksyun.client.kce.v20231115 import models as _kce_20231115_models
    from ksyun.client.kce.v20231115.client import KceClient as Kce20231115Client
    from ksyun.client.kec.v20160304 import models as _kec_models
    from ksyun.client.kec.v20160304.client import KecClient
    from ksyun.client.tagv2.v20200901 import models as _tag_models
    from ksyun.client.tagv2.v20200901.client import Tagv2Client
    from ksyun.client.vpc.v20160304 import models as _vpc_models
    from ksyun.client.vpc.v20160304.client import VpcClient
    from ksyun.common.credential import Credential
    from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException
    from ksyun.common.http.request import ApiRequest, ResponseInternal
    from ksyun.common.profile.client_profile import ClientProfile
    from ksyun.common.profile.http_profile import HttpProfile
    from urllib3.exceptions import ConnectTimeoutError
except ImportError as _exc:
    HAS_KSYUN_SDK = False
    KSYUN_SDK_IMPORT_ERROR = _exc
    KSYUN_SDK_IMPORT_TRACEBACK = traceback.format_exc()
    # Stand-ins so the classes below can be defined; KsyunCore refuses to run without the SDK.
    ApiRequest = VpcClient = KecClient = EipClient = Tagv2Client = object
    Kce20190806Client = Kce20230101Client = Kce20231115Client = Kce2Client = object

    class KsyunSDKException(Exception):
        """Never raised: the SDK is missing."""

    _vpc_models = _kec_models = _eip_models = _tag_models = None
    _kce_models = _kce_20230101_models = _kce_20231115_models = _kce2_models = None
else:
    HAS_KSYUN_SDK = True
    KSYUN_SDK_IMPORT_ERROR = None
    KSYUN_SDK_IMPORT_TRACEBACK = None

SDK_PACKAGE = "kingsoftcloud-sdk-python"


def parse_error_body(data: Optional[str]) -> Tuple[Optional[str], str, Optional[str]]:
    """``(code, message, request_id)`` from a KSYUN error body; ``(None, raw text, None)`` if it is not one."""
    try:
        body = json.loads(data)
    except (TypeError, ValueError):
        return None, (data or "")[:500], None
    if not isinstance(body, dict):
        return None, str(data)[:500], None
    error = body.get("Error") if isinstance(body.get("Error"), dict) else {}
    return error.get("Code"), error.get("Message") or str(data)[:500], body.get("RequestId")


class HttpStatusError(KsyunSDKException):
    """A non-200 answer with its real code and HTTP status."""

    def __init__(self, code: str, message: str, request_id: Optional[str], status: int) -> None:
        super().__init__(code, message, request_id)
        self.status = status


class TransportError(KsyunSDKException):
    """No HTTP answer; ``sent`` is False only when the connection was never established."""

    def __init__(self, message: str, sent: bool) -> None:
        super().__init__("ClientNetworkError", message)
        self.sent = sent
        self.status = None


class _Connection:
    """Stands in for the SDK's ProxyConnection: one keep-alive session, correct proxy rules."""

    def __init__(self, host: str, timeout: float, proxy: Optional[str], direct: bool, verify: bool = True) -> None:
        self.request_host = host
        self.timeout = timeout
        self.session = requests.Session()
        # Loopback never goes through a proxy; trust_env=False also ignores HTTP(S)_PROXY for this session only.
        self.session.trust_env = not direct
        self.proxies = {"http": proxy, "https": proxy} if proxy and not direct else None
        self.verify = verify

    def request(
        self, method: str, url: str, body: Any = None, headers: Optional[Mapping[str, str]] = None, auth: Any = None
    ) -> requests.Response:
        headers = dict(headers or {})
        headers.setdefault("Host", self.request_host)
        return self.session.request(
            method,
            url,
            data=body,
            headers=headers,
            proxies=self.proxies,
            verify=self.verify,
            timeout=self.timeout,
            auth=auth,
        )


class _ApiRequest(ApiRequest):
    """The SDK's request sender with our connection and typed transport errors."""

    def __init__(self, host: str, config: ClientConfig, direct: bool) -> None:
        super().__init__(host, req_timeout=config.timeout, is_http=config.scheme == "http")
        self.conn = _Connection(host, config.timeout, config.proxy, direct)

    def send_request(self, req_inter: Any) -> Any:
        try:
            resp = self._request(req_inter)
        except requests.exceptions.RequestException as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            never_connected = isinstance(exc, requests.exceptions.ConnectTimeout) or isinstance(
                reason, ConnectTimeoutError
            )
            raise TransportError("%s: %s" % (type(exc).__name__, exc), sent=not never_connected) from None
        return ResponseInternal(status=resp.status_code, header=dict(resp.headers), data=resp.text)


class _StatusCheck:
    def _check_status(self, resp_inter):
        if resp_inter.status != 200:
            code, message, request_id = parse_error_body(resp_inter.data)
            raise HttpStatusError(code or "HTTP%d" % resp_inter.status, message, request_id, resp_inter.status)


class VpcSdkClient(_StatusCheck, VpcClient):
    """VpcClient with real error codes."""


class KecSdkClient(_StatusCheck, KecClient):
    """KecClient with real error codes."""


class EipSdkClient(_StatusCheck, EipClient):
    """EipClient with real error codes."""


class TagSdkClient(_StatusCheck, Tagv2Client):
    """Tagv2Client (resource tags, version 2020-09-01) with real error codes."""


class KceSdkClient(_StatusCheck, Kce20190806Client):
    """KceClient 2019-08-06 (nodes, kubeconfig) with real error codes."""


class Kce20230101SdkClient(_StatusCheck, Kce20230101Client):
    """KceClient 2023-01-01 (add-ons, network) with real error codes."""


class Kce20231115SdkClient(_StatusCheck, Kce20231115Client):
    """KceClient 2023-11-15 (DescribeCluster: the only version of it in the Python SDK) with real error codes."""


class Kce2SdkClient(_StatusCheck, Kce2Client):
    """Kce2Client 2023-01-01 (KCE 2.0: DescribeClusters as JSON, ModifyCluster with VpcCNI) with real error codes."""


# The key names the SDK client; the host is the client's own service name ("kce" for every kce version, "kce2").
SERVICES = {
    "vpc": (VpcSdkClient, _vpc_models),
    "kec": (KecSdkClient, _kec_models),
    "eip": (EipSdkClient, _eip_models),
    "tagv2": (TagSdkClient, _tag_models),
    "kce": (KceSdkClient, _kce_models),
    "kce.2023-01-01": (Kce20230101SdkClient, _kce_20230101_models),
    "kce.2023-11-15": (Kce20231115SdkClient, _kce_20231115_models),
    "kce2": (Kce2SdkClient, _kce2_models),
}


def host_service(service: str) -> str:
    """The service name of the API host and signature: ``kce.2023-11-15`` -> ``kce``."""
    return service.split(".", 1)[0]


def build_sdk_client(service: str, config: ClientConfig) -> Any:
    """An SDK client for ``service`` (a key of SERVICES: "vpc", "kec", "eip", "tagv2", "kce" (2019-08-06),
    "kce.2023-01-01", "kce.2023-11-15" or "kce2") configured from a ClientConfig."""
    client_class = SERVICES[service][0]
    endpoint = config.endpoint_for(host_service(service))
    http = HttpProfile(protocol=config.scheme, endpoint=endpoint, reqMethod=config.method, reqTimeout=config.timeout)
    profile = ClientProfile(httpProfile=http, language="en-US")
    client = client_class(Credential(config.access_key_id, config.secret_access_key), config.region, profile)
    host = endpoint or client._get_service_domain()  # pylint: disable=protected-access
    client.request = _ApiRequest(host, config, direct=config.is_loopback(host_service(service)))
    return client


def new_request(service: str, action: str, params: Mapping[str, Any]) -> Any:
    """The SDK's ``<Action>Request`` model with ``params`` set as attributes (None values are not sent)."""
    models = SERVICES[service][1]
    model = getattr(models, action + "Request")()
    for key, value in params.items():
        setattr(model, key, value)
    return model
