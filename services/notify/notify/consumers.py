"""Which events the notify service consumes, and the handler for each.

One queue per producer, so that its events are handled in the order it
published them: a session rescheduled right after an assignment to it must
find the assignment. Across producers there is no order; the handlers
cope (see :mod:`notify.handlers`). ``roster.certificate.*`` comes from
scheduling, so it is bound to scheduling's queue, not to ``roster.#``.
A queue declared by an older version may keep its ``roster.#`` binding and
receive a certificate on both queues; the handler takes it once (the
certificate and its delivery are keyed by the certificate id)."""
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
    "assignment.updated": handlers.assignment_updated,
    "assignment.cancelled": handlers.assignment_cancelled,
    "roster.certificate.issued": handlers.certificate_issued,
    "roster.certificate.revoked": handlers.certificate_revoked,
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
        Subscription("enrolment", ("adhesion.#", "roster.updated", "roster.erased"), handle),
        Subscription("scheduling", ("session.#", "assignment.#", "roster.certificate.#"), handle),
    ]
