"""Every page of the console, registered on one blueprint."""
from . import (account, adhesions, audit_trail, dashboard, deadletters, deliveries,  # noqa: F401
               indicators, plan, privacy)
from .guard import bp

__all__ = ["bp"]
