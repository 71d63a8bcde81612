"""TEMPORARY during issue 11: the shape of what membership's free functions still take.

`handlers.Services` has these attributes; once membership is service objects (`Directory`,
`Enrollments`) this module goes away.
"""

from __future__ import annotations

from typing import Protocol

from .clock import Clock
from .db import Database
from .outbox import Dispatcher
from .settings import Settings
from .store import Store


class AppContext(Protocol):
    settings: Settings
    db: Database
    store: Store
    clock: Clock
    outbox: Dispatcher
