"""A transport that keeps messages in a list and can be told to fail."""
from __future__ import annotations

from email import message_from_bytes, policy

from notify.adapters.transport import PermanentFailure, TransientFailure


class RecordingTransport:
    def __init__(self):
        self.sent = []
        self.script: list[str] = []

    def send(self, sender, recipient, message: bytes, name: str = "") -> None:
        if self.script:
            step = self.script.pop(0)
            if step.startswith("4"):
                raise TransientFailure(step)
            if step.startswith("5"):
                raise PermanentFailure(step)
        self.sent.append((sender, recipient, message_from_bytes(message, policy=policy.default)))

    def to(self, address: str):
        return [m for _, r, m in self.sent if r == address]
