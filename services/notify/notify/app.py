"""The notify's HTTP application: the delivery log, certificates and a
person's deliveries for operations, and its OpenAPI."""
from __future__ import annotations

from flask import Flask

from coalizione_common.http import create_service_app
from coalizione_common.runtime import ServiceRuntime

from .api import certificates, deliveries, openapi, people


def create_app(runtime: ServiceRuntime) -> Flask:
    return create_service_app(runtime, __name__,
                              [deliveries.bp, certificates.bp, people.bp, openapi.bp])
