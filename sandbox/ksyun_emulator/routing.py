"""Which route a call asks for: (service, version, action).

The service is the ``Service`` parameter (the SDKs send it), else the Host header's first label when it names a
service (``kce.api.ksyun.com``, ``kce2.api.ksyun.com``), else the one service that serves the action name.
"""

from .actions import ROUTES, SERVICES
from .errors import ApiError, invalid, missing


def _tagged(exc, service):
    exc.service = service
    return exc


def requested_service(flat, headers):
    service = flat.get("Service")
    if service:
        return service
    host = (headers.get("Host") or "").split(":")[0].split(".")[0].lower()
    return host if host in SERVICES else None


def resolve(flat, headers):
    """The Route of the call; an ApiError (with ``.service``: the service asked for, if known) otherwise."""
    name = flat.get("Action")
    asked = requested_service(flat, headers)
    if not name:
        raise _tagged(missing("Action"), asked)
    candidates = [r for r in ROUTES.values() if r.name == name]
    if not candidates:
        raise _tagged(
            ApiError(
                "InvalidAction",
                "The action %s is not valid for this web service (emulated: %s)."
                % (name, ", ".join(sorted({r.name for r in ROUTES.values()}))),
            ),
            asked,
        )
    services = sorted({r.service for r in candidates})
    service = asked
    if service is None:
        if len(services) > 1:
            raise _tagged(
                ApiError(
                    "InvalidAction",
                    "The action %s is served by services %s; send the Service parameter." % (name, ", ".join(services)),
                ),
                None,
            )
        service = services[0]
    in_service = [r for r in candidates if r.service == service]
    if not in_service:
        raise _tagged(
            ApiError(
                "InvalidAction", "The action %s belongs to service %s, not %s." % (name, ", ".join(services), service)
            ),
            service,
        )
    version = flat.get("Version")
    if not version:
        raise _tagged(missing("Version"), service)
    for route in in_service:
        if route.version == version:
            return route
    versions = sorted(r.version for r in in_service)
    if len({r.version for r in ROUTES.values() if r.service == service}) == 1:
        why = "service %s is served at version %s" % (service, versions[0])
    else:
        why = "action %s of service %s is served at version %s" % (name, service, ", ".join(versions))
    raise _tagged(invalid("Version", version, why), service)
