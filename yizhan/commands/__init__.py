"""The `yizhan` subcommands, one module per area; `yizhan.cli` adds each group explicitly."""
