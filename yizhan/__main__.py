"""`python -m yizhan`: the `yizhan` command."""

from yizhan.cli import main

main()
