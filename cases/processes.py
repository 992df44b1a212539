"""Who this process is, below any signed-in user: the operating-system account of a command or a
worker, recorded in the audit beside the person a command names (DESIGN §4 "People behind commands")."""

from __future__ import annotations

import getpass
import os


def os_account() -> str:
    """The operating-system account this process runs as ("root", or "uid 1000" in a container)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the process's uid (a container)
        return f"uid {os.getuid()}"
