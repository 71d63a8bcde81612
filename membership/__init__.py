"""一键入会: the union directory and staff, enrollment, validation, review and member numbers.

All functions take the `core.Database` they work on (from `AppContext.db`).
"""

from ._directory import (
    DirectoryError,
    ImportSummary,
    StaffInfo,
    UnionInfo,
    UnionRow,
    add_staff,
    all_unions,
    assign_union,
    deactivate_staff,
    find_union,
    get_union,
    import_unions,
    list_staff,
    staff_for_telegram_user,
    staff_for_token,
    union_for_place,
    unions_above,
    unions_for_telegram_chat,
)
from ._models import EnrollmentStatus, StaffMember, StaffUnion, Union, UnionLevel
from ._occupations import OCCUPATIONS, occupation_code
from ._union_file import UnionFile, parse_union_csv, read_union_file

__all__ = [
    "OCCUPATIONS",
    "DirectoryError",
    "EnrollmentStatus",
    "ImportSummary",
    "StaffInfo",
    "StaffMember",
    "StaffUnion",
    "Union",
    "UnionFile",
    "UnionInfo",
    "UnionLevel",
    "UnionRow",
    "add_staff",
    "all_unions",
    "assign_union",
    "deactivate_staff",
    "find_union",
    "get_union",
    "import_unions",
    "list_staff",
    "occupation_code",
    "parse_union_csv",
    "read_union_file",
    "staff_for_telegram_user",
    "staff_for_token",
    "union_for_place",
    "unions_above",
    "unions_for_telegram_chat",
]
