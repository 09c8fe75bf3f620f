"""Which events the scheduling service consumes, and the handler for each."""
from functools import partial

from coalizione_common.consumer import Subscription

from . import handlers

ADHESION_EVENTS = ("adhesion.submitted", "adhesion.confirmed", "adhesion.updated",
                   "adhesion.withdrawn", "roster.updated")


def subscriptions(runtime):
    # One queue for the adhesion events and the roster: the enrolment
    # writes them in order, and one queue keeps that order.
    return [
        Subscription("entities", ("registry.entity.upserted",),
                     partial(handlers.record_entity_location, runtime)),
        Subscription("adhesions", ADHESION_EVENTS, partial(handlers.record_adhesion, runtime)),
    ]
