"""The scheduling's HTTP application."""
from __future__ import annotations

from flask import Flask

from coalizione_common.http import create_service_app
from coalizione_common.runtime import ServiceRuntime

from .api.calendars import calendars
from .api.certificates import certificates
from .api.indicators import indicators
from .api.operations import operations
from .api.people import people
from .api.registers import registers
from .web.verification import verification


def create_app(runtime: ServiceRuntime) -> Flask:
    return create_service_app(runtime, __name__, blueprints=(
        operations, calendars, registers, certificates, indicators, people, verification))
