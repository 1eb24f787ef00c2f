"""What the tests that press Ctrl-C on a ``pmo-nb run`` child need."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """``preexec_fn`` of a ``pmo-nb run`` child that a test interrupts with SIGINT: Ctrl-C's default action, as in a
    terminal. A test session started in the background (``make test &``, a CI runner's non-interactive shell) hands
    every child SIGINT ignored (POSIX, for asynchronous lists), and the run then rightly does not stop: measured,
    the three Ctrl-C tests' runs exited 0 after their 60-second notebook under such a session."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
