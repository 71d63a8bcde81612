"""The dialog framework other modules build on: routers, state, injection, one-at-a-time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from handlers import (
    STATE_TTL,
    Command,
    Conversation,
    Data,
    DialogState,
    InState,
    KindIs,
    Message,
    Predicate,
    Reply,
    Router,
    Services,
    Skip,
    Text,
    TextIs,
    build_root,
    every_language,
)


def msg(
    text: str | None = None, *, data: str | None = None, user: str = "w1", channel: str = "console"
) -> Message:
    return Message(channel=channel, user_id=user, chat_id=user, text=text, data=data)


def only_text(replies: list[Reply]) -> str:
    assert len(replies) == 1 and isinstance(replies[0], Text), replies
    return replies[0].text


def _survey_router() -> Router:
    """A two-step dialog written the way a teammate would write enrollment."""
    router = Router("survey")

    @router.message(TextIs(*every_language("一键入会")))
    async def begin(state: DialogState) -> Text:
        await state.set("survey:name")
        return Text("请问您的姓名？")

    dialog = Router("survey-steps", filters=[InState("survey")])

    @dialog.message(InState("survey:name"), KindIs("text"))
    async def got_name(message: Message, state: DialogState) -> Text:
        await state.set("survey:job", {"name": message.text})
        return Text("您做什么工作？")

    @dialog.message(InState("survey:job"), KindIs("text"))
    async def got_job(message: Message, state: DialogState, greeter: Callable[[str], str]) -> Text:
        name = state.data["name"]
        await state.clear()
        return Text(greeter(f"{name}（{message.text}）"))

    router.include(dialog)
    return router


def _greeter(who: str) -> str:
    return f"欢迎{who}！"


def _conversation(ctx: Services, *extra: Router) -> Conversation:
    # The dialogs go where DIALOGS puts them: right after the commands router. A test's own
    # dependency (`greeter`) is passed explicitly, as the wiring passes every service.
    return Conversation(ctx, build_root(extra), extra={"greeter": _greeter})


async def test_dialog_router_takes_over_its_entry_point_and_keeps_state(
    backend: Callable[..., Services],
) -> None:
    first, second = backend(), backend()  # two processes sharing database and store
    a, b = _conversation(first, _survey_router()), _conversation(second, _survey_router())
    assert only_text(await a.handle(msg("一键入会"))) == "请问您的姓名？"
    # A text that would otherwise be a station search ("厕所") goes to the dialog…
    assert only_text(await b.handle(msg("厕所"))) == "您做什么工作？"
    # …and the state lives in the store with a TTL, so either process continues it.
    ttl = await first.store.ttl("dialog:console:w1")
    assert ttl is not None and 0 < ttl <= STATE_TTL
    assert only_text(await a.handle(msg("外卖"))) == "欢迎厕所（外卖）！"
    assert await first.store.get("dialog:console:w1") is None
    # Other users and channels never see someone else's dialog.
    await a.handle(msg("一键入会"))
    assert "马上就上线" not in only_text(await a.handle(msg("一键入会", user="w2")))
    assert "没太明白" in only_text(await a.handle(msg("张三", channel="wechat")))


async def test_cancel_and_start_leave_any_dialog(backend: Callable[..., Services]) -> None:
    conversation = _conversation(backend(), _survey_router())
    await conversation.handle(msg("一键入会"))
    assert only_text(await conversation.handle(msg("/cancel"))) == "好的，已取消。"
    assert "没太明白" in only_text(await conversation.handle(msg("张三")))
    await conversation.handle(msg("一键入会"))
    assert "驿站通" in only_text(await conversation.handle(msg("/start")))
    assert "没太明白" in only_text(await conversation.handle(msg("张三")))
    assert only_text(await conversation.handle(msg("取消"))) == "现在没有正在进行的填写。"


async def test_without_a_registered_dialog_the_entry_point_is_a_placeholder(
    backend: Callable[..., Services],
) -> None:
    bare = Conversation(backend(), root=build_root(dialogs=()))
    body = only_text(await bare.handle(msg("一键入会")))
    assert "马上就上线" in body and "12351" in body


# A dialog the wiring lists (as `yizhan.wiring.DIALOGS` lists enrollment and cases).
router = Router("listed")


@router.message(TextIs("我的求助"))
async def my_cases() -> Text:
    return Text("您有 0 条求助。")


async def test_a_listed_dialog_is_mounted(
    backend: Callable[..., Services],
) -> None:
    listed = Conversation(backend(), root=build_root(dialogs=[router]))
    assert only_text(await listed.handle(msg("我的求助"))) == "您有 0 条求助。"
    # …after the commands, which still work, and before the station search.
    assert "驿站通" in only_text(await listed.handle(msg("/start")))


async def test_one_message_at_a_time_per_user_across_processes(
    backend: Callable[..., Services],
) -> None:
    running: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    router = Router("slow")

    @router.message(Command("slow"))
    async def slow(message: Message, args: str) -> Text:
        running.append(message.user_id)
        if running.count(message.user_id) > 1:
            overlaps.append(tuple(running))
        await asyncio.sleep(0.05)
        running.remove(message.user_id)
        return Text(args)

    a, b = _conversation(backend(), router), _conversation(backend(), router)
    started = asyncio.get_running_loop().time()
    results = await asyncio.gather(
        a.handle(msg("/slow 1")),
        b.handle(msg("/slow 2")),
        a.handle(msg("/slow 3")),
        b.handle(msg("/slow x", user="other")),
    )
    elapsed = asyncio.get_running_loop().time() - started
    assert sorted(only_text(r) for r in results) == ["1", "2", "3", "x"]
    assert overlaps == []  # w1's three messages never ran together…
    assert elapsed >= 0.15  # …so they took three turns
    assert elapsed < 1.5  # while "other" did not wait for w1


async def test_skip_passes_to_the_next_handler_and_filters_inject(
    backend: Callable[..., Services],
) -> None:
    router = Router("picky")

    @router.message(Data("vote:"))
    async def only_yes(payload: str) -> Text:
        if payload != "yes":
            raise Skip
        return Text("赞成")

    @router.message(Data("vote:") & ~Data("vote:yes"))
    async def other(payload: str) -> Text:
        return Text(f"其他：{payload}")

    conversation = _conversation(backend(), router)
    assert only_text(await conversation.handle(msg(data="vote:yes"))) == "赞成"
    assert only_text(await conversation.handle(msg(data="vote:no"))) == "其他：no"


async def test_a_failing_handler_gets_an_apology_not_a_crash(
    backend: Callable[..., Services],
) -> None:
    router = Router("broken")

    @router.message(Command("boom"))
    async def boom() -> Text:
        raise RuntimeError("bug")

    @router.message(Command("needy"))
    async def needy(nobody_provides_this: object) -> Text:
        return Text("never")

    conversation = _conversation(backend(), router)
    for text in ("/boom", "/needy"):
        body = only_text(await conversation.handle(msg(text)))
        assert "抱歉" in body and "12351" in body
    # The lock was released: the user can go on.
    assert "驿站通" in only_text(await conversation.handle(msg("/start")))


async def test_handlers_a_message_cannot_fit_are_skipped_unlooked(
    backend: Callable[..., Services],
) -> None:
    looked: list[str] = []

    def peek(name: str) -> Predicate:
        def looking(message: Message) -> bool:
            looked.append(name)
            return True

        return Predicate(looking)

    router = Router("shapes")

    @router.message(Data("pick:"), peek("button"))
    async def picked(payload: str) -> Text:
        return Text(f"选了{payload}")

    @router.message(peek("text") & (Command("pick") | TextIs("选")))
    async def typed() -> Text:
        return Text("请点按钮")

    @router.message(~Data("pick:"), peek("negated"), Command("late"))
    async def late() -> Text:
        return Text("no")

    conversation = _conversation(backend(), router)
    assert only_text(await conversation.handle(msg(data="pick:3"))) == "选了3"
    assert looked == ["button"]  # the text handlers' predicates never ran for a button press
    looked.clear()
    assert only_text(await conversation.handle(msg("/late"))) == "no"
    assert looked == ["text", "negated"]  # a negation never rules a shape out

    @router.message(peek("added"), Data("other"))
    async def added_later() -> Text:
        return Text("后加的")

    looked.clear()
    assert only_text(await conversation.handle(msg(data="other"))) == "后加的"
    assert looked == ["added"]  # handlers added after the first message are planned too


async def test_dialog_steps_are_looked_at_only_for_users_in_that_dialog(
    backend: Callable[..., Services],
) -> None:
    looked: list[str] = []

    def seen(name: str) -> Predicate:
        def look(message: Message) -> bool:
            looked.append(name)
            return True

        return Predicate(look)

    router = Router("steps")

    @router.message(TextIs("开始"))
    async def begin(state: DialogState) -> Text:
        await state.set("steps:one")
        return Text("第一步")

    # The predicate comes first: only the plan, not the order of filters, can spare it.
    @router.message(seen("one"), InState("steps:one"))
    async def one(state: DialogState) -> Text:
        await state.clear()
        return Text("完成")

    dialog = Router("steps-other", filters=[InState("other")])

    @dialog.message(seen("other"))
    async def other() -> Text:
        return Text("不该到这里")

    router.include(dialog)
    conversation = _conversation(backend(), router)
    # Outside any dialog, neither step's filters run and the message goes on to the search.
    assert "没太明白" in only_text(await conversation.handle(msg("张三")))
    assert looked == []
    assert only_text(await conversation.handle(msg("开始"))) == "第一步"
    assert only_text(await conversation.handle(msg("张三"))) == "完成"
    assert looked == ["one"]  # in "steps:one": that step only, not the other dialog's
