"""The membership domain's one error tree (drawn in the package docstring). Every message is
Chinese and can be shown to the person who caused it."""

from __future__ import annotations


class MembershipError(Exception):
    """Base of every error of the membership domain."""


class DirectoryError(MembershipError):
    """A directory change that cannot be made (unknown union, bad parent, …)."""


class EnrollmentError(MembershipError):
    """Base of the enrollment errors; the message can be shown to the worker."""


class EnrollmentInvalid(EnrollmentError):
    """Bad input, with one Chinese message per field (`problems`); nothing stored."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("；".join(problems.values()))
        self.problems = problems


class EnrollmentLocked(EnrollmentError):
    """The membership is approved; it cannot be resubmitted or decided again."""


class EnrollmentNotFound(EnrollmentError):
    """No such enrollment, or not one the caller may see or decide."""


class ReviewConflict(EnrollmentError):
    """The application changed or was decided by someone else; the message says what it is now."""
