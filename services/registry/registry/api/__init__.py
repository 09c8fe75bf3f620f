"""HTTP API of the registry: public search and lookup, operations, OpenAPI."""
