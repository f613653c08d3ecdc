"""Shared bits of the training entry points: torch from Debian's interpreter, and step logging."""
from __future__ import annotations

import os
import sys
import time


def ensure_torch() -> None:
    """`npm run train*` calls whatever python3 is first on PATH; Debian's interpreter carries torch.
    Idle OpenMP threads must not spin on a shared 2-core machine, so the policy is set before torch loads."""
    os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
    try:
        import torch  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath('/usr/bin/python3') and os.path.exists('/usr/bin/python3'):
            os.execv('/usr/bin/python3', ['/usr/bin/python3', *sys.argv])
        raise


class StepLog:
    """Running mean of a training loss, logged and recorded every `every` steps, and the wall-clock cap."""

    def __init__(self, what: str, metric: str, steps: int, seconds: float, log, every: int = 100, digits: int = 4):
        self.what, self.metric, self.steps, self.seconds, self.log = what, metric, steps, seconds, log
        self.every, self.digits = every, digits
        self.t0 = time.time()
        self.history: list[dict] = []
        self.running: list[float] = []
        self.done = 0

    def step(self, loss: float) -> bool:
        """Records one step's loss; True when the time cap says stop."""
        self.running.append(loss)
        self.done += 1
        if self.done % self.every == 0:
            mean = sum(self.running) / len(self.running)
            self.history.append({'step': self.done, self.metric: round(mean, self.digits)})
            self.log(f'{self.what} step {self.done}/{self.steps} {self.metric} {mean:.{self.digits}f}')
            self.running = []
        if time.time() - self.t0 > self.seconds:
            self.log(f'{self.what} training stopped by the time cap after {self.done} steps')
            return True
        return False

    def info(self) -> dict:
        return {'steps': self.done, 'seconds': round(time.time() - self.t0, 1), 'lossHistory': self.history}
