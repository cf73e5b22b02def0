# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# Based on the kubernetes.core.k8s_auth_options doc fragment, Copyright: (c) 2018, Red Hat | Ansible
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster connection options of the fixed IP modules, documented here rather than by kubernetes.core.

The modules take these options from kubernetes.core's ``AUTH_ARG_SPEC`` at run time, but Galaxy and
Automation Hub render the documentation without installing dependencies, so ``ksyun.kce.k8s_auth_options``
keeps its own copy of kubernetes.core's ``k8s_auth_options`` (names, types, aliases and environment
variables; kubernetes.core's version_added values are left out, they are not versions of this collection).
tests/unit/test_doc_fragments.py fails when the copy drifts from the installed kubernetes.core.
"""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  host:
    description:
      - Provide a URL for accessing the API.
      - Can also be specified via the E(K8S_AUTH_HOST) environment variable.
    type: str
  api_key:
    description:
      - Token used to authenticate with the API.
      - Can also be specified via the E(K8S_AUTH_API_KEY) environment variable.
    type: str
  kubeconfig:
    description:
      - Path to an existing Kubernetes config file. If not provided, and no other connection options are provided,
        the Kubernetes client will attempt to load the default configuration file from C(~/.kube/config).
      - Can also be specified via the E(K8S_AUTH_KUBECONFIG) environment variable.
      - Multiple Kubernetes config files can be provided using the separator C(;) on Windows or C(:) on other platforms.
      - The Kubernetes configuration can be provided as a dictionary.
    type: raw
  context:
    description:
      - The name of a context found in the config file.
      - Can also be specified via the E(K8S_AUTH_CONTEXT) environment variable.
    type: str
  username:
    description:
      - Provide a username for authenticating with the API.
      - Can also be specified via the E(K8S_AUTH_USERNAME) environment variable.
      - This only works with clusters configured to use HTTP Basic Auth.
    type: str
  password:
    description:
      - Provide a password for authenticating with the API.
      - Can also be specified via the E(K8S_AUTH_PASSWORD) environment variable.
      - See O(username) for when this option is applicable.
    type: str
  client_cert:
    description:
      - Path to a certificate used to authenticate with the API.
      - Can also be specified via the E(K8S_AUTH_CERT_FILE) environment variable.
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to a key file used to authenticate with the API.
      - Can also be specified via the E(K8S_AUTH_KEY_FILE) environment variable.
    type: path
    aliases: [key_file]
  ca_cert:
    description:
      - Path to a CA certificate used to authenticate with the API. The full certificate chain must be provided to
        avoid certificate validation errors.
      - Can also be specified via the E(K8S_AUTH_SSL_CA_CERT) environment variable.
    type: path
    aliases: [ssl_ca_cert]
  validate_certs:
    description:
      - Whether or not to verify the API server's SSL certificates.
      - Can also be specified via the E(K8S_AUTH_VERIFY_SSL) environment variable.
    type: bool
    aliases: [verify_ssl]
  proxy:
    description:
      - The URL of an HTTP proxy to use for the connection.
      - Can also be specified via the E(K8S_AUTH_PROXY) environment variable.
      - The module does not pick up the usual proxy settings from the environment (for example E(HTTP_PROXY)).
    type: str
  no_proxy:
    description:
      - The comma separated list of hosts, domains, IP addresses or CIDRs that should not go through the proxy.
      - Can also be specified via the E(K8S_AUTH_NO_PROXY) environment variable.
      - The module does not pick up the usual proxy settings from the environment (for example E(NO_PROXY)).
      - Example value C(localhost,.local,.example.com,127.0.0.1,127.0.0.0/8,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16).
    type: str
  proxy_headers:
    description:
      - The headers used for the HTTP proxy.
      - See U(https://urllib3.readthedocs.io/en/latest/reference/urllib3.util.html#urllib3.util.make_headers).
    type: dict
    suboptions:
      proxy_basic_auth:
        description:
          - Colon-separated C(username:password) for the proxy basic authentication header.
          - Can also be specified via the E(K8S_AUTH_PROXY_HEADERS_PROXY_BASIC_AUTH) environment variable.
        type: str
      basic_auth:
        description:
          - Colon-separated C(username:password) for the basic authentication header.
          - Can also be specified via the E(K8S_AUTH_PROXY_HEADERS_BASIC_AUTH) environment variable.
        type: str
      user_agent:
        description:
          - String representing the user agent you want, such as C(foo/1.0).
          - Can also be specified via the E(K8S_AUTH_PROXY_HEADERS_USER_AGENT) environment variable.
        type: str
  persist_config:
    description:
      - Whether or not to save the kubeconfig refresh tokens.
      - Can also be specified via the E(K8S_AUTH_PERSIST_CONFIG) environment variable.
      - When the context uses user credentials with refresh tokens (like OIDC or gke/gcloud auth), the Kubernetes
        Python client refreshes the token but does not save it by default, so the old refresh token can expire and
        the next authentication can fail. V(true) tells the client to save the new refresh token to the kubeconfig file.
      - Defaults to V(false).
    type: bool
  impersonate_user:
    description:
      - Username to impersonate for the operation.
      - Can also be specified via the E(K8S_AUTH_IMPERSONATE_USER) environment variable.
    type: str
  impersonate_groups:
    description:
      - Group(s) to impersonate for the operation.
      - Can also be specified via the E(K8S_AUTH_IMPERSONATE_GROUPS) environment variable, for example C(Group1,Group2).
    type: list
    elements: str
notes:
  - To avoid SSL certificate validation errors when O(validate_certs=true), the full certificate chain for the API
    server must be provided via O(ca_cert) or in the kubeconfig file.
"""
