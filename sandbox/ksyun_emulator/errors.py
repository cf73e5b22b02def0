"""The emulator's error catalogue: one code per failure a caller can cause, with its HTTP status.

Only ``InvalidParameterValue`` (400) and the 404 signal for "not found" are confirmed for the real
API (reference §4, [C:S8], [C:S5]); the other codes are modelled on the same naming style and are
listed in docs/sandbox.md so the client's classification can be checked against them.
"""

# code -> HTTP status
CODES = {
    "MissingParameter": 400,
    "InvalidParameterValue": 400,
    "InvalidAction": 400,
    "MissingAuthenticationToken": 403,
    "InvalidNetworkInterfaceId.NotFound": 404,
    "InvalidSubnetId.NotFound": 404,
    "InvalidSecurityGroupId.NotFound": 404,
    "InvalidInstanceId.NotFound": 404,
    "InvalidPrivateIpAddress.NotFound": 404,
    "PrivateIpAddressInUse": 409,
    "PrivateIpAddressReserved": 409,
    "InsufficientFreeAddressesInSubnet": 409,
    "NetworkInterfaceInUse": 409,
    "IncorrectNetworkInterfaceState": 409,
    "IncorrectInstanceState": 409,
    "OperationDenied.PrimaryNetworkInterface": 400,
    "AvailabilityZoneMismatch": 400,
    "QuotaExceeded.NetworkInterface": 400,
    "QuotaExceeded.PrivateIpAddress": 400,
    "InvalidAllocationId.NotFound": 404,
    "AddressInUse": 409,
    "IncorrectAddressState": 409,
    "QuotaExceeded.Address": 400,
    "InvalidClusterId.NotFound": 404,
    "InvalidAddonId.NotFound": 404,
    "InvalidAddonInstanceId.NotFound": 404,
    "AddonAlreadyExists": 409,
    "IncorrectAddonInstanceState": 409,
    "ClusterConfigUnavailable": 400,
    "Throttling": 400,
    "INTERNAL_FAILURE": 500,
    "ServiceUnavailable": 503,
}


class ApiError(Exception):
    """An error answer: HTTP status plus the KSYUN ``Error`` object."""

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else CODES.get(code, 400)
        self.type = "Sender" if self.status < 500 else "Receiver"


def missing(name):
    return ApiError("MissingParameter", "The request must contain the parameter %s." % name)


def invalid(name, value, why):
    return ApiError(
        "InvalidParameterValue",
        "An invalid or out-of-range value was supplied for the input parameter %s: %r (%s)." % (name, value, why),
    )


def not_found(kind, value):
    code = {
        "network interface": "InvalidNetworkInterfaceId.NotFound",
        "subnet": "InvalidSubnetId.NotFound",
        "security group": "InvalidSecurityGroupId.NotFound",
        "instance": "InvalidInstanceId.NotFound",
        "elastic IP": "InvalidAllocationId.NotFound",
        "cluster": "InvalidClusterId.NotFound",
        "add-on": "InvalidAddonId.NotFound",
        "add-on instance": "InvalidAddonInstanceId.NotFound",
    }[kind]
    return ApiError(code, "The %s %s does not exist (not found)." % (kind, value))
