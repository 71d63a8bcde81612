"""The dialog routers of other modules, by dotted name: the one line to add for a new dialog.

Each module listed here has a module-level `router` (a `handlers.Router`). Their routers are
tried in this order, after /start, /help and /cancel and before station search and the
placeholder entry points — so a dialog that answers "一键入会" takes that button over.
"""

DIALOGS: tuple[str, ...] = (
    "handlers.enrollment",
    "handlers.cases",
)
