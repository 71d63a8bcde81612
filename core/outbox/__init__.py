"""The transactional outbox: messages to the outside world that must go out once and never be lost.

Public API
----------
- `enqueue(session, kind, recipient, payload, dedupe_key=None) -> bool`; for many rows at once
  `enqueue_many(session, [NewMessage(kind, recipient, payload, dedupe_key), …]) -> list[bool]`
  Call inside the caller's transaction (`async with db.transaction() as session:`), so the record
  the message is about and the message commit together or not at all. A row is unique per
  (kind, recipient, dedupe_key): enqueueing the same key again does nothing and returns False,
  which is how "no chat gets the same case twice" is kept. The dispatcher is nudged right after
  the caller commits when it runs in this process (`dispatcher.wake()`), otherwise within
  `poll_seconds`.
- `Dispatcher(db)` (or `Dispatcher.from_settings(db, settings)`: OUTBOX_* tuning),
  `.register(kind, sender)` (once per kind, by the composition root), `.start()` / `.stop()`,
  `.run_once()`, `.wake()`.
  A sender is `async def send(message: OutboxMessage) -> dict | None`; what it returns (e.g. the
  Telegram `message_id`) is stored in `OutboxMessage.result`. It raises
  `RetryLater(reason, retry_after=None)` for a failure worth retrying (network, 5xx, Telegram 429
  with `retry_after`) and `GiveUp(reason)` for one that will never succeed (chat not found); any
  other exception counts as retryable.
- Kinds: a notice to someone (`core.notices.send_notice`) is a row whose kind is the
  recipient's channel ("telegram", "wecom", "wechat", "miniprogram") and whose payload is
  `Notice.to_payload()`; adapters may add kinds of their own (the Telegram bot's replies to an
  update are "telegram_replies", `{"calls": [...]}`). Each kind has one sender, registered by
  the composition root (`yizhan.wiring.register_senders`).
- `counts(db)`: rows by status (`yizhan outbox status`).
- `rotate_outbox_keys(session, cipher)`: re-seal waiting and dead rows with the newest key
  (`yizhan pii rotate`).

Guarantees
----------
- One row is delivered by one dispatcher at a time: a claim sets `claimed_by` and a lease
  (`lease_until`). PostgreSQL claims with `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
  with a conditional UPDATE that only succeeds while the row is still due. A row whose send
  begins more than a tenth of a lease after its claim (it queued behind the concurrency gate or
  a chat's rate limit) has its lease restarted first, and is skipped if another dispatcher took
  it over meanwhile.
- A send never outlives its claim: while it runs its lease is renewed every third of a lease;
  if the row was taken over, or the database stays unreachable until the lease nearly ends,
  the send is cancelled before the lease runs out. Every write after the claim (renewal, sent,
  failed) is fenced by the claim (`claimed_by` and the `attempts` count the claim set): one
  that matches nothing is logged, never applied. A send hanging past `send_timeout`
  (OUTBOX_SEND_TIMEOUT) is cut and retried later.
- Per recipient: at most one send in flight per (kind, recipient) in a process, in the order
  the rows were queued; a recipient with a row on its way out is not claimed for again. Rows
  wait for their chat's turn without holding one of the `concurrency` (OUTBOX_CONCURRENCY)
  slots. Claims come in batches (up to `batch` rows, only for recipients with nothing on its
  way out here) whenever the recipients ready for a slot fall short of the free slots or to
  half a batch; only sends on the wire count against the slots, so a chat that hangs holds one
  slot and delays no other chat's messages.
- Stopping (`stop()`, SIGTERM) lets messages already on the wire finish and be recorded.
  A dispatcher killed mid-delivery leaves its rows "sending"; once the lease expires another
  dispatcher claims them again. The window between the remote side accepting a message and our
  commit of "sent" is the one place a duplicate can still happen (no chat API offers
  idempotency keys); it is a few milliseconds per message.
- Payloads are sealed at rest (`_seal`): the table holds only a `core.pii` token
  (`payload_enc`), opened when a row is claimed or loaded. A sent row keeps its `result`, not
  its payload: what went out (a staff card carries the worker's description and phone, a
  reply the worker's location) is blanked in the same UPDATE that marks it sent; a dead row
  keeps it (sealed) for staff to see what failed, for OUTBOX_DEAD_RETENTION_DAYS. On SQLite
  the write-ahead log is truncated after purges and every 30 s while rows are marked.
- Failures back off exponentially with full jitter (`base_delay * 2**attempts`, capped), each
  one recorded in `last_error`; a sender's `retry_after` is honoured for that row and holds the
  other due rows to the same recipient too (Telegram rate limits are per chat). After
  `max_attempts` a row is "dead" and stays visible for staff to inspect.

Times here are real UTC time, not `context.clock`: retry delays and leases are about the network
and processes, and must keep moving while tests freeze the business clock.
"""

from ._dispatcher import Dispatcher
from ._enqueue import counts, enqueue, enqueue_many, insert_rows
from ._model import (
    AwareDateTime,
    GiveUp,
    NewMessage,
    OutboxError,
    OutboxMessage,
    OutboxStatus,
    RetryLater,
    Sender,
    utcnow,
)
from ._seal import rotate_outbox_keys

__all__ = [
    "AwareDateTime",
    "Dispatcher",
    "GiveUp",
    "NewMessage",
    "OutboxError",
    "OutboxMessage",
    "OutboxStatus",
    "RetryLater",
    "Sender",
    "counts",
    "enqueue",
    "enqueue_many",
    "insert_rows",
    "rotate_outbox_keys",
    "utcnow",
]
