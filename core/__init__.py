"""The bottom layer: settings, database, key-value store, clock, outbox, notices, personal-data
encryption, HTTP plumbing and logging. Imports no package of this project above it."""

from .clock import CHINA_TZ, Clock, FrozenClock, SystemClock
from .db import Database, DatabaseError
from .http import Problem, json_response
from .logging import mask_pii
from .settings import Settings, get_settings
from .store import MemoryStore, RedisStore, Store, StoreError, open_store

__all__ = [
    "CHINA_TZ",
    "Clock",
    "Database",
    "DatabaseError",
    "FrozenClock",
    "MemoryStore",
    "Problem",
    "RedisStore",
    "Settings",
    "Store",
    "StoreError",
    "SystemClock",
    "get_settings",
    "json_response",
    "mask_pii",
    "open_store",
]
