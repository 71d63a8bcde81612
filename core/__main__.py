"""`python -m core`: the `yizhan` command, kept under this name for the deployment contract.

This file is the process entry point, not part of the package: nothing imports it, so `core`
itself still imports no package above it (tests/test_layers.py skips `__main__` modules).
"""

from yizhan.cli import main

main()
