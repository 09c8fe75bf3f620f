"""notify's own subcommands of ``python -m notify``."""
from __future__ import annotations

from . import reminders
from .deliveries import NotResendable, Sender, resend


def send_pending(runtime, args) -> int:
    """Attempt every delivery due now, once, and say how many."""
    print(f"notify: {Sender(runtime).run_once()} delivery attempt(s)")
    return 0


def remind(runtime, args) -> int:
    """Record the reminders due now (the worker does this every
    NOTIFY_REMINDER_INTERVAL); the sender sends them."""
    sessions = reminders.session_reminders(runtime)
    deadline = reminders.deadline_reminders(runtime)
    print(f"notify: session reminders for {sessions} assignment(s), "
          f"{deadline} deadline reminder(s) recorded")
    return 0


def resend_one(runtime, args) -> int:
    try:
        new_id = resend(runtime, args.delivery_id)
    except LookupError:
        print(f"notify: no delivery {args.delivery_id}")
        return 1
    except NotResendable as exc:
        print(f"notify: cannot resend {args.delivery_id}: {exc}")
        return 1
    print(new_id)
    return 0


def extra(sub) -> dict:
    sub.add_parser("send-pending", help="attempt every delivery that is due, once")
    sub.add_parser("remind", help="record the session and deadline reminders due now")
    again = sub.add_parser("resend", help="queue a sent or failed message again")
    again.add_argument("delivery_id")
    return {"send-pending": send_pending, "remind": remind, "resend": resend_one}
