"""一键入会: the union directory and staff, enrollment, validation, review and member numbers.

The door
--------
- `Directory(db, clock=, token_days=)`: the unions and their staff. `import_unions(rows)`, `all_unions()`,
  `get_union(id)`, `find_union(key_or_name)`, `union_for_place(league, county)`,
  `assign_union(league=, county=, occupation=, employer=)`, `unions_above(id)`,
  `unions_for_chat(channel, address)`; `add_staff(name, union_keys, identities=)`,
  `staff_for_token(token)`, `staff_for_identity(channel, address)`, `deactivate_staff(id)`,
  `list_staff()`. Reading methods take `session=` to read inside the caller's transaction.
- `Enrollments(db, clock, cipher, directory, on_enqueue)`: `enroll(app)`, `resubmit(id, app)`,
  `get(id)`, `enrollment_of(channel, user)`, `for_phone(phone)`, `list(union_ids, …)`,
  `approve(id, …)`, `reject(id, reason, …)`. New applications go to the union's staff chats
  and decisions to the worker as `core.notices.Notice`s, queued in the same transaction;
  `on_enqueue()` runs after such a commit (the outbox dispatcher's `wake`).
- `Credentials(db)`: staff sign-in for the console (`set_password`, `verify`, `account`;
  one-time set-password links `make_link`, `link_login`, `use_link`).
- Access (one check for `/admin/v1`, the console and chat buttons; roles from the union
  tree): `Role` (staff | admin), `may_act(staff, union_id)`, `may_manage(staff, union_id)`,
  `unions_visible_to(staff)`. `StaffInfo` / `StaffAccount` carry `role`, `held_union_ids`
  and `union_ids` (what they see: held, and for an admin everything below). Staff tokens:
  `Directory.rotate_token(id)`, `set_role(id, role)`, `get_staff(id)`.
- Values: `UnionInfo` (`chats`: the union's staff chats as `Recipient`s), `StaffInfo`
  (`identities`: their chat accounts), `UnionRow`, `EnrollmentView`, `EnrollResult`,
  `Decision`, `Application`. Union files: `read_union_file`, `parse_union_csv`; `demo_unions` (the demo's
  directory, built from locations' seats). Checks:
  `clean_name`, `clean_mobile`, `clean_id_number`. Key rotation: `rotate_enrollment_keys`.

Channel names (a union's chats, a staff member's accounts, the channel a worker applied
through) are data from `core.notices`; nothing here compares against one.

Errors (one tree; every message is Chinese, for the person who caused it)
------------------------------------------------------------------------
::

    MembershipError
    ├── DirectoryError            a directory change that cannot be made
    └── EnrollmentError
        ├── EnrollmentInvalid     bad input; `.problems` maps field → message; nothing stored
        ├── EnrollmentLocked      approved already: cannot be resubmitted or decided again
        ├── EnrollmentNotFound    no such application, or not the caller's to see or decide
        └── ReviewConflict        changed or decided by someone else meanwhile

`InvalidField` (from the `clean_*` checks) is a `ValueError`, not part of the tree: callers
that validate a single field turn it into their own message.
"""

from __future__ import annotations

from ._access import (
    ROLE_LABELS,
    Access,
    Role,
    clean_role,
    may_act,
    may_manage,
    unions_visible_to,
)
from ._credentials import (
    LINK_HOURS,
    CredentialError,
    Credentials,
    StaffAccount,
    StaffCredential,
    StaffPasswordLink,
    check_password,
    clean_login,
)
from ._demo import demo_unions
from ._directory import Directory, ImportSummary, StaffInfo, UnionRow
from ._enrollment import (
    ID_POLICY_VERSION,
    ID_PURPOSE,
    POLICY_VERSION,
    PURPOSE,
    Application,
    Enrollments,
    EnrollResult,
)
from ._errors import (
    DirectoryError,
    EnrollmentError,
    EnrollmentInvalid,
    EnrollmentLocked,
    EnrollmentNotFound,
    MembershipError,
    ReviewConflict,
)
from ._keys import rotate_enrollment_keys
from ._models import (
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    StaffIdentity,
    StaffMember,
    StaffUnion,
    Union,
    UnionChat,
    UnionLevel,
)
from ._occupations import OCCUPATIONS, occupation_code
from ._review import (
    CALLBACK_PREFIX,
    REJECT_REASONS,
    Decision,
    member_number,
    outcome_notice,
    outcome_text,
    staff_notice,
)
from ._union_file import UnionFile, parse_union_csv, read_union_file
from ._unions import UnionInfo, choose_union
from ._validation import InvalidField, clean_id_number, clean_mobile, clean_name
from ._view import EnrollmentView

__all__ = [
    "CALLBACK_PREFIX",
    "ID_POLICY_VERSION",
    "ID_PURPOSE",
    "LINK_HOURS",
    "OCCUPATIONS",
    "POLICY_VERSION",
    "PURPOSE",
    "REJECT_REASONS",
    "ROLE_LABELS",
    "Access",
    "Application",
    "CredentialError",
    "Credentials",
    "Decision",
    "Directory",
    "DirectoryError",
    "EnrollResult",
    "Enrollment",
    "EnrollmentError",
    "EnrollmentEvent",
    "EnrollmentInvalid",
    "EnrollmentLocked",
    "EnrollmentNotFound",
    "EnrollmentStatus",
    "EnrollmentView",
    "Enrollments",
    "ImportSummary",
    "InvalidField",
    "MembershipError",
    "ReviewConflict",
    "Role",
    "StaffAccount",
    "StaffCredential",
    "StaffIdentity",
    "StaffInfo",
    "StaffMember",
    "StaffPasswordLink",
    "StaffUnion",
    "Union",
    "UnionChat",
    "UnionFile",
    "UnionInfo",
    "UnionLevel",
    "UnionRow",
    "check_password",
    "choose_union",
    "clean_id_number",
    "clean_login",
    "clean_mobile",
    "clean_name",
    "clean_role",
    "demo_unions",
    "may_act",
    "may_manage",
    "member_number",
    "occupation_code",
    "outcome_notice",
    "outcome_text",
    "parse_union_csv",
    "read_union_file",
    "rotate_enrollment_keys",
    "staff_notice",
    "unions_visible_to",
]
