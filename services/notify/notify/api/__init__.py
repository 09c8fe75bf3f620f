"""HTTP API of notify: the delivery log for operations, and its OpenAPI."""
