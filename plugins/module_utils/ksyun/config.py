# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client settings from explicit arguments or the ``KSYUN_*`` environment; the secret key is never shown.

Credentials, in order of precedence (docs/modules.md, "Connection options, once"): the arguments (the modules'
options), then KSYUN_ACCESS_KEY_ID/KSYUN_SECRET_ACCESS_KEY, then KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY (the names of
Kingsoft's Terraform provider and SDK samples). The id and the secret are one pair: taken from two different sources
they are refused, since they would sign with a secret that is not the id's.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunConfigError

ENV_ACCESS_KEY_ID = "KSYUN_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "KSYUN_SECRET_ACCESS_KEY"
ENV_ACCESS_KEY = "KSYUN_ACCESS_KEY"
ENV_SECRET_KEY = "KSYUN_SECRET_KEY"
# The variable pairs credentials may come from, after the arguments, in order of precedence.
CREDENTIAL_VARIABLES = ((ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY), (ENV_ACCESS_KEY, ENV_SECRET_KEY))
ENV_REGION = "KSYUN_REGION"
ENV_ENDPOINT = "KSYUN_ENDPOINT"
ENV_SCHEME = "KSYUN_SCHEME"
SCHEMES = ("https", "http")
LANGUAGE = "en-US"


def _mask(value):
    return value[:4] + "****" if value and len(value) > 8 else "****"


def split_endpoint(endpoint: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
    """``"http://127.0.0.1:8080/"`` -> ``("http", "127.0.0.1:8080")``; the SDK must get the host without scheme."""
    if not endpoint:
        return None, None
    text = endpoint.strip()
    if "://" not in text:
        return None, text.rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in SCHEMES or not parts.netloc:
        raise KsyunConfigError("endpoint %r: use host[:port] or http(s)://host[:port]" % endpoint)
    if parts.path not in ("", "/") or parts.query:
        raise KsyunConfigError(
            "endpoint %r: a path or query is not supported, give only scheme://host[:port]" % endpoint
        )
    return parts.scheme, parts.netloc


def is_loopback_host(hostport: str) -> bool:
    host = urlsplit("//" + hostport).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _pick(given: Optional[str], env: Mapping[str, str], half: int) -> Tuple[Optional[str], Optional[int], str]:
    """(value, source, where): the argument (source -1), else the first pair of CREDENTIAL_VARIABLES whose variable
    for this half (0: id, 1: secret) is set (its index); empty counts as unset. where names it for messages."""
    if given:
        return given, -1, "the option %s" % ("access_key_id", "secret_access_key")[half]
    for index, pair in enumerate(CREDENTIAL_VARIABLES):
        if env.get(pair[half]):
            return env[pair[half]], index, pair[half]
    return None, None, ""


def resolve_credentials(
    access_key_id: Optional[str], secret_access_key: Optional[str], env: Mapping[str, str]
) -> Tuple[str, str]:
    """The access key id and secret key, both from the arguments or both from one pair of variables (precedence:
    arguments, KSYUN_ACCESS_KEY_ID/KSYUN_SECRET_ACCESS_KEY, KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY)."""
    key, key_source, key_where = _pick(access_key_id, env, 0)
    secret, secret_source, secret_where = _pick(secret_access_key, env, 1)
    if not key:
        raise KsyunConfigError(
            "no KSYUN access key id: pass access_key_id (alias access_key) or set %s (or %s with %s)"
            % (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY, ENV_SECRET_KEY)
        )
    if not secret:
        raise KsyunConfigError(
            "no KSYUN secret access key: pass secret_access_key (alias secret_key) or set %s (or %s with %s)"
            % (ENV_SECRET_ACCESS_KEY, ENV_SECRET_KEY, ENV_ACCESS_KEY)
        )
    if key_source != secret_source:
        raise KsyunConfigError(
            "the KSYUN access key id comes from %s but the secret key from %s; a key pair is taken from one source: "
            "give both options (access_key_id and secret_access_key), or set both %s and %s, or both %s and %s"
            % (key_where, secret_where, ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY, ENV_ACCESS_KEY, ENV_SECRET_KEY)
        )
    return key, secret


class ClientConfig:
    """Resolved settings. ``endpoint`` may hold ``{service}`` (e.g. ``{service}.cn-beijing-6.api.ksyun.com``)."""

    def __init__(
        self,
        access_key_id: str,
        secret_access_key: str,
        region: str,
        endpoint: Optional[str] = None,
        scheme: str = "https",
        timeout: float = 30.0,
        method: str = "POST",
        proxy: Optional[str] = None,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret_access_key = secret_access_key
        self.region = region
        self.endpoint = endpoint
        self.scheme = scheme
        self.timeout = timeout
        self.method = method
        self.proxy = proxy

    @property
    def secret_access_key(self) -> str:
        return self._secret_access_key

    def endpoint_for(self, service: str) -> Optional[str]:
        """``host[:port]`` for a service, or None for the SDK default ``<service>.api.ksyun.com``."""
        return self.endpoint.replace("{service}", service) if self.endpoint else None

    def is_loopback(self, service: str) -> bool:
        endpoint = self.endpoint_for(service)
        return bool(endpoint) and is_loopback_host(endpoint)

    def redact(self, text: Any) -> Optional[str]:
        """``text`` with any occurrence of the secret key replaced."""
        if text is None:
            return text
        text = str(text)
        return text.replace(self._secret_access_key, "********") if self._secret_access_key else text

    def __repr__(self):
        return "ClientConfig(access_key_id=%r, secret_access_key='********', region=%r, endpoint=%r, scheme=%r)" % (
            _mask(self.access_key_id),
            self.region,
            self.endpoint,
            self.scheme,
        )

    __str__ = __repr__

    @classmethod
    def resolve(
        cls,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        region: Optional[str] = None,
        endpoint: Optional[str] = None,
        scheme: Optional[str] = None,
        timeout: Optional[float] = None,
        method: Optional[str] = None,
        proxy: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None,
    ) -> "ClientConfig":
        """Explicit arguments win over the environment (credentials: resolve_credentials); scheme: argument > endpoint
        URL > KSYUN_SCHEME > https."""
        env = os.environ if env is None else env
        access_key_id, secret_access_key = resolve_credentials(access_key_id, secret_access_key, env)
        region = region or env.get(ENV_REGION)
        for value, arg, var in (
            (access_key_id, "access_key_id", ENV_ACCESS_KEY_ID),
            (secret_access_key, "secret_access_key", ENV_SECRET_ACCESS_KEY),
            (region, "region", ENV_REGION),
        ):
            if not value:
                raise KsyunConfigError("no KSYUN %s: pass %s or set %s" % (arg.replace("_", " "), arg, var))
            if value.strip() != value or " " in value:
                raise KsyunConfigError(
                    "KSYUN %s must not contain spaces (check %s / %s)" % (arg.replace("_", " "), arg, var)
                )
        url_scheme, host = split_endpoint(endpoint or env.get(ENV_ENDPOINT))
        if scheme and url_scheme and scheme != url_scheme:
            raise KsyunConfigError("scheme %r contradicts the endpoint's %r; give one of them" % (scheme, url_scheme))
        scheme = (scheme or url_scheme or env.get(ENV_SCHEME) or "https").lower()
        if scheme not in SCHEMES:
            raise KsyunConfigError("scheme %r: use https or http (argument scheme or %s)" % (scheme, ENV_SCHEME))
        method = (method or "POST").upper()
        if method not in ("POST", "GET"):
            raise KsyunConfigError("method %r: use POST or GET" % method)
        return cls(access_key_id, secret_access_key, region, host, scheme, float(timeout or 30.0), method, proxy)
