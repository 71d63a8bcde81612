"""The terminal channel (`yizhan chat`), on the same conversation as every other channel:
`run_session(services, stdin)` reads lines and prints the replies."""

from ._chat import USAGE, parse_location, quiet_logs, render, run_session

__all__ = ["USAGE", "parse_location", "quiet_logs", "render", "run_session"]
