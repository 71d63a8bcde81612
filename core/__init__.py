"""Settings, database, key-value store, clock, HTTP plumbing, logging, CLI and the app."""

from .app import create_app
from .clock import CHINA_TZ, Clock, FrozenClock, SystemClock
from .context import CONTEXT, AppContext
from .db import Database, DatabaseError
from .http import Problem, json_response
from .logging import mask_pii
from .settings import Settings, get_settings
from .store import MemoryStore, RedisStore, Store, StoreError, open_store

__all__ = [
    "CHINA_TZ",
    "CONTEXT",
    "AppContext",
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
    "create_app",
    "get_settings",
    "json_response",
    "mask_pii",
    "open_store",
]
