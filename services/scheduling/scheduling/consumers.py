"""Which events the scheduling service consumes, and the handler for each."""
from functools import partial

from coalizione_common.consumer import Subscription

from . import handlers

ADHESION_EVENTS = ("adhesion.submitted", "adhesion.confirmed", "adhesion.updated",
                   "adhesion.withdrawn", "roster.updated", "roster.erased")


def on_adhesion_event(runtime, session, envelope):
    if envelope.type == "roster.erased":
        handlers.erase_people(runtime, session, envelope)
    else:
        handlers.record_adhesion(runtime, session, envelope)


def subscriptions(runtime):
    # One queue for the adhesion events, the roster and its erasures: the
    # enrolment writes them in order, and one queue keeps that order.
    return [
        Subscription("entities", ("registry.entity.upserted",),
                     partial(handlers.record_entity_location, runtime)),
        Subscription("adhesions", ADHESION_EVENTS, partial(on_adhesion_event, runtime)),
    ]
