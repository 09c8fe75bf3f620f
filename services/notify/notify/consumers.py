"""Which events the notify service consumes, and the handler for each.

Nothing yet: the messages arrive with the notify issue."""


def subscriptions(runtime):
    return []
