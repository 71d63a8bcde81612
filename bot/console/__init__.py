"""The terminal channel: `yizhan chat`, on the same conversation as every other channel."""

from ._chat import chat, parse_location, quiet_logs, render, run_session

__all__ = ["chat", "parse_location", "quiet_logs", "render", "run_session"]
