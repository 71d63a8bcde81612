"""Channels: thin adapters between a messaging service and the conversation in `handlers/`.

`bot.telegram` (webhook, long polling, Bot API client), `bot.console` (`yizhan chat`), and the
WeChat Official Account and staff senders. Each turns its updates into `handlers.Message` and
renders `handlers` replies; none holds business rules.
"""
