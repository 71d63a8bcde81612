"""Routers, filters and dependency injection, in the spirit of aiogram 3.

A `Router` holds handlers (async functions) and child routers. For a message, a router tries its
own handlers in the order they were registered, then its children in the order they were
included; the first handler whose filters all pass is called. A filter returns False (no match),
True (match) or a dict (match, and these values become injectable for the handler, e.g. the
service codes a text asked for). A filter also says which message shapes it can never accept
(`possible`: a text filter and a location, a dialog's filter and a user in no dialog): the root
flattens the tree, once per shape, into the list of handlers such a message could reach, and a
message walks only that list.

Handlers declare what they need by parameter name: `message`, `state`, `t` (the translator for
the user's language), anything a filter returned, every field of `handlers.Services` (`finder`,
`store`, `clock`, `referrals`, …) and whatever a `Conversation` was given as `extra`.
A handler with `**kwargs` receives everything.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._messages import Kind, Message, Reply

FilterResult = bool | dict[str, Any]
# What a message carries, as far as a filter can tell without reading values: its kind,
# whether it has text and button data, and the sender's dialog state. See `Filter.possible`.
Shape = tuple[Kind, bool, bool, str | None]
HandlerResult = Reply | Sequence[Reply] | None
HandlerFn = Callable[..., Awaitable[HandlerResult]]


class Skip(Exception):
    """Raised by a handler that, after looking closer, is not the right one: try the next."""


def shape_of(message: Message, state: str | None = None) -> Shape:
    return message.kind, message.text is not None, message.data is not None, state


class Filter:
    """A condition on a message. Combine with `&`, `|` and `~`."""

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        raise NotImplementedError

    def possible(self, shape: Shape) -> bool:
        """False only when no message of this shape can pass `check` (a text filter and a
        shared location; a dialog step's filter and a user in no dialog). Routers use it to
        skip such handlers without awaiting their filters: there are dozens of dialog
        handlers, and each message fits few of them."""
        return True

    def __and__(self, other: Filter) -> Filter:
        return _All((self, other))

    def __or__(self, other: Filter) -> Filter:
        return _Any((self, other))

    def __invert__(self) -> Filter:
        return _Not(self)


@dataclass(frozen=True)
class _All(Filter):
    parts: tuple[Filter, ...]

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        found: dict[str, Any] = {}
        for part in self.parts:
            result = await part.check(message, {**data, **found})
            if not result:
                return False
            if isinstance(result, dict):
                found.update(result)
        return found or True

    def possible(self, shape: Shape) -> bool:
        return all(part.possible(shape) for part in self.parts)


@dataclass(frozen=True)
class _Any(Filter):
    parts: tuple[Filter, ...]

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        for part in self.parts:
            result = await part.check(message, data)
            if result:
                return result
        return False

    def possible(self, shape: Shape) -> bool:
        return any(part.possible(shape) for part in self.parts)


@dataclass(frozen=True)
class _Not(Filter):
    inner: Filter

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        return not await self.inner.check(message, data)


@dataclass(frozen=True)
class Predicate(Filter):
    """Wraps a plain function `fn(message) -> bool | dict` (sync or async)."""

    fn: Callable[[Message], Any]

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        result = self.fn(message)
        if inspect.isawaitable(result):
            result = await result
        return result if isinstance(result, dict) else bool(result)


@dataclass(frozen=True)
class Command(Filter):
    """`/start`, `/start@yizhan_bot payload`; gives `args` (the text after the command)."""

    names: tuple[str, ...]

    def __init__(self, *names: str) -> None:
        object.__setattr__(self, "names", tuple(n.lstrip("/").lower() for n in names))

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        text = (message.text or "").strip()
        if not text.startswith("/"):
            return False
        head, _, args = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        return {"command": name, "args": args.strip()} if name in self.names else False

    def possible(self, shape: Shape) -> bool:
        return shape[1]


@dataclass(frozen=True)
class TextIs(Filter):
    """The whole text (trimmed) is one of `words` — for keyboard buttons and fixed phrases."""

    words: frozenset[str]

    def __init__(self, *words: str) -> None:
        object.__setattr__(self, "words", frozenset(w.strip().lower() for w in words))

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        return message.text is not None and message.text.strip().lower() in self.words

    def possible(self, shape: Shape) -> bool:
        return shape[1]


@dataclass(frozen=True)
class Regex(Filter):
    """The text matches `pattern` (searched, not anchored); gives `match`."""

    pattern: re.Pattern[str]

    def __init__(self, pattern: str | re.Pattern[str], flags: int = 0) -> None:
        compiled = re.compile(pattern, flags) if isinstance(pattern, str) else pattern
        object.__setattr__(self, "pattern", compiled)

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        if message.text is None:
            return False
        found = self.pattern.search(message.text)
        return {"match": found} if found else False

    def possible(self, shape: Shape) -> bool:
        return shape[1]


@dataclass(frozen=True)
class KindIs(Filter):
    """The message carries this kind of content ("text", "location", "button", "contact")."""

    kinds: frozenset[str]

    def __init__(self, *kinds: Kind) -> None:
        object.__setattr__(self, "kinds", frozenset(kinds))

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        return message.kind in self.kinds

    def possible(self, shape: Shape) -> bool:
        return shape[0] in self.kinds


@dataclass(frozen=True)
class Data(Filter):
    """A button press whose data starts with `prefix`; gives `payload` (the rest)."""

    prefix: str

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        if message.data is None or not message.data.startswith(self.prefix):
            return False
        return {"payload": message.data[len(self.prefix) :]}

    def possible(self, shape: Shape) -> bool:
        return shape[2]


@dataclass(frozen=True)
class InState(Filter):
    """The user's dialog state. `InState("enroll")` matches "enroll" and "enroll:…";
    `InState(None)` matches a user in no dialog; `InState("*")` any dialog."""

    names: tuple[str | None, ...]

    def __init__(self, *names: str | None) -> None:
        object.__setattr__(self, "names", names)

    async def check(self, message: Message, data: dict[str, Any]) -> FilterResult:
        return self._accepts(data.get("raw_state"))

    def possible(self, shape: Shape) -> bool:
        return self._accepts(shape[3])

    def _accepts(self, current: str | None) -> bool:
        for name in self.names:
            if name is None and current is None:
                return True
            if name == "*" and current is not None:
                return True
            if name and current and (current == name or current.startswith(name + ":")):
                return True
        return False


def _as_filter(item: Filter | Callable[[Message], Any]) -> Filter:
    return item if isinstance(item, Filter) else Predicate(item)


@dataclass
class HandlerObject:
    fn: HandlerFn
    filters: tuple[Filter, ...]
    params: frozenset[str] = field(init=False)
    takes_all: bool = field(init=False)

    def __post_init__(self) -> None:
        signature = inspect.signature(self.fn)
        self.params = frozenset(
            name
            for name, p in signature.parameters.items()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
        self.takes_all = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        self._required = frozenset(
            name
            for name, p in signature.parameters.items()
            if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )

    def possible(self, shape: Shape) -> bool:
        return all(flt.possible(shape) for flt in self.filters)

    async def match(self, message: Message, data: dict[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] = {}
        for flt in self.filters:
            # Copy the data only when an earlier filter added to it: this runs for every
            # handler on every message, and the data holds all the injectables.
            result = await flt.check(message, {**data, **found} if found else data)
            if not result:
                return None
            if isinstance(result, dict):
                found.update(result)
        return found

    async def call(self, data: dict[str, Any]) -> HandlerResult:
        if self.takes_all:
            return await self.fn(**data)
        missing = self._required - data.keys()
        if missing:
            raise LookupError(
                f"{self.fn.__qualname__} asks for {sorted(missing)}, which nobody provides"
            )
        return await self.fn(**{k: data[k] for k in self.params if k in data})


# A handler in a tree's plan, with the routers above it (outermost first) whose own filters
# must pass before it is looked at.
_Step = tuple[HandlerObject, tuple["Router", ...]]
_MAX_PLANS = 1024  # shapes: a few kinds × every step of every dialog


class Router:
    """Handlers and child routers; `filters` given here apply to every handler below."""

    # Bumped by every registration and inclusion, in any router: a plan made before is stale.
    _edits: ClassVar[int] = 0

    def __init__(self, name: str = "", *, filters: Iterable[Filter] = ()) -> None:
        self.name = name
        self.filters = tuple(filters)
        self.handlers: list[HandlerObject] = []
        self.children: list[Router] = []
        self._plans: dict[Shape, list[_Step]] = {}  # shape → handlers it could reach
        self._planned_at = -1  # the `_edits` its plans were made at

    def __repr__(self) -> str:
        return f"Router({self.name!r})"

    def message(
        self, *filters: Filter | Callable[[Message], Any]
    ) -> Callable[[HandlerFn], HandlerFn]:
        """Decorator: register `fn` for messages passing every filter."""

        def register(fn: HandlerFn) -> HandlerFn:
            if not inspect.iscoroutinefunction(fn):
                raise TypeError(f"{fn.__qualname__}: handlers must be async functions")
            self.handlers.append(HandlerObject(fn, tuple(_as_filter(f) for f in filters)))
            Router._edits += 1
            return fn

        return register

    def include(self, *routers: Router) -> Router:
        for router in routers:
            if router is self:
                raise ValueError("a router cannot include itself")
            self.children.append(router)
        Router._edits += 1
        return self

    def _plan(self, shape: Shape) -> list[_Step]:
        """Every handler of the tree that a message of this shape could reach, depth-first in
        registration order: one flat list per message instead of a walk of the tree (an async
        generator per router level was a fifth of a shared location's dispatch)."""
        if self._planned_at != Router._edits:
            self._plans.clear()
            self._planned_at = Router._edits
        plan = self._plans.get(shape)
        if plan is None:
            if len(self._plans) >= _MAX_PLANS:  # state names come from the store: keep it bounded
                self._plans.clear()
            plan = self._plans[shape] = list(self._steps(shape, ()))
        return plan

    def _steps(self, shape: Shape, guards: tuple[Router, ...]) -> Iterator[_Step]:
        if not all(flt.possible(shape) for flt in self.filters):
            return
        if self.filters:
            guards = (*guards, self)
        for handler in self.handlers:
            if handler.possible(shape):
                yield handler, guards
        for child in self.children:
            yield from child._steps(shape, guards)

    async def _scope(self, message: Message, data: dict[str, Any]) -> dict[str, Any] | None:
        """`data` with what this router's own filters add, or None when one of them refuses."""
        found: dict[str, Any] = {}
        for flt in self.filters:
            result = await flt.check(message, data)
            if not result:
                return None
            if isinstance(result, dict):
                found.update(result)
        return {**data, **found} if found else data

    async def dispatch(self, message: Message, data: dict[str, Any]) -> HandlerResult:
        """Call the first handler, depth-first in registration order, that accepts the message
        and does not raise `Skip`; None when there is none. A router's own filters are checked
        once, when the first handler below it is reached. The tree is planned again after
        `message` or `include`, so change it through those."""
        scopes: dict[Router, dict[str, Any] | None] = {}
        for handler, guards in self._plan(shape_of(message, data.get("raw_state"))):
            scoped = data
            for router in guards:
                if router not in scopes:
                    scopes[router] = await router._scope(message, scoped)
                found = scopes[router]
                if found is None:
                    break
                scoped = found
            else:
                extra = await handler.match(message, scoped)
                if extra is None:
                    continue
                try:
                    return await handler.call({**scoped, **extra} if extra else scoped)
                except Skip:
                    continue
        return None

    def walk(self) -> Iterable[Router]:
        yield self
        for child in self.children:
            yield from child.walk()
