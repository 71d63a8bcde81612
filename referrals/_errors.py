"""The referrals domain's one error tree (drawn in the package docstring). Messages are
Chinese, for the worker or staff member who caused them."""

from __future__ import annotations


class ReferralsError(ValueError):
    """Base of every error of the referrals domain."""


class CaseError(ReferralsError):
    """Input that cannot become a case or an action (bad category, empty reply, wrong status)."""


class CaseNotFound(CaseError):
    """No such case."""


class NotAllowed(CaseError):
    """A staff member acting on another union's case."""


class RegionError(ReferralsError):
    """A boundary file that cannot be imported."""
