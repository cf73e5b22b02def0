# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors of the fixed-IP domain: each one says what was wrong, with the value, and what to do."""

from __future__ import annotations


class FixedIpError(Exception):
    """Base of every error this domain raises; modules turn it into fail_json(msg=str(err))."""


class InvalidRetention(FixedIpError, ValueError):
    """A retention (IP reclaim policy) that does not parse."""


class InvalidReservation(FixedIpError, ValueError):
    """A PodEni/PodEniIP whose content cannot be a reservation."""


class InvalidSettings(FixedIpError, ValueError):
    """Cluster settings the flows cannot work with."""


class InvalidPodRequest(FixedIpError, ValueError):
    """A pod whose annotations and resources contradict each other."""


class PlacementError(FixedIpError):
    """No subnet, IP or ENI slot can be found for a pod on its node."""


class CrossSubnetRefused(FixedIpError):
    """A fixed IP would have to move to another zone or subnet, which it never does."""


class ReservationHeld(FixedIpError):
    """The reservation belongs to another pod that is still live."""


class ReservationConflict(FixedIpError):
    """The cloud disagrees with the reservation in a way no flow may repair on its own."""


class RequestRefused(FixedIpError, ValueError):
    """A request the cloud's state or behaviour makes impossible; the message names the value and what to ask instead."""
