"""Which events the enrolment service consumes, and the handler for each."""
from functools import partial

from coalizione_common.consumer import Subscription

from . import handlers


def subscriptions(runtime):
    return [
        Subscription("entities", ("registry.entity.upserted",),
                     partial(handlers.replicate_entity, runtime)),
    ]
