"""Which events the notify service consumes, and the handler for each:
one queue per family of events, dispatching on the event type."""
from __future__ import annotations

import logging
from functools import partial

from coalizione_common.consumer import Subscription

from . import handlers

log = logging.getLogger("notify.consumers")

ROUTES = {
    "roster.updated": handlers.roster_updated,
    "roster.erased": handlers.roster_erased,
    "adhesion.submitted": handlers.adhesion_changed,
    "adhesion.confirmed": handlers.adhesion_changed,
    "adhesion.updated": handlers.adhesion_changed,
    "adhesion.withdrawn": handlers.adhesion_changed,
    "session.scheduled": handlers.session_scheduled,
    "session.rescheduled": handlers.session_rescheduled,
    "session.cancelled": handlers.session_cancelled,
    "assignment.created": handlers.assignment_created,
    "assignment.cancelled": handlers.assignment_cancelled,
}


def dispatch(runtime, session, envelope) -> None:
    handler = ROUTES.get(envelope.type)
    if handler is None:
        log.info("no use for %s", envelope.type)
        return
    handler(runtime, session, envelope)


def subscriptions(runtime) -> list[Subscription]:
    handle = partial(dispatch, runtime)
    return [
        Subscription("roster", ("roster.#",), handle),
        Subscription("adhesions", ("adhesion.#",), handle),
        Subscription("sessions", ("session.#",), handle),
        Subscription("assignments", ("assignment.#",), handle),
    ]
