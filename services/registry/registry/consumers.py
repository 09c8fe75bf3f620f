"""Which events the registry consumes, and the handler for each."""
from functools import partial

from coalizione_common.consumer import Subscription

from . import handlers


def subscriptions(runtime):
    return [
        Subscription("resync", ("registry.resync.requested",), partial(handlers.resync, runtime)),
    ]
