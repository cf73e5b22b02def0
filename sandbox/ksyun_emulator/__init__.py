"""A local KSYUN VPC/KEC 2016-03-04 API emulator that speaks the real wire format (see docs/sandbox.md)."""

from .emulator import Emulator  # noqa: F401
from .settings import Settings  # noqa: F401
