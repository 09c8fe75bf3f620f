"""``python -m notify send-pending | remind | resend``."""
from __future__ import annotations

import argparse
import dataclasses

from notify import commands
from services.notify.tests.builders import Body
from services.notify.tests.conftest import delivery_rows


def test_the_commands_send_remind_and_resend(notify, capsys):
    notify.notify = dataclasses.replace(notify.notify, deadline_reminder_days=14)
    body = Body()
    notify.handle(body.roster("submitted"))
    assert commands.remind(notify, None) == 0
    assert "1 deadline reminder(s)" in capsys.readouterr().out
    assert commands.send_pending(notify, None) == 0
    assert "2 delivery attempt(s)" in capsys.readouterr().out
    first = delivery_rows(notify)[0]
    assert commands.resend_one(notify, argparse.Namespace(delivery_id=first.id)) == 0
    new_id = capsys.readouterr().out.strip()
    assert [r.resend_of for r in delivery_rows(notify) if r.id == new_id] == [first.id]
    assert commands.resend_one(notify, argparse.Namespace(delivery_id=new_id)) == 1
    assert "still on its way" in capsys.readouterr().out
