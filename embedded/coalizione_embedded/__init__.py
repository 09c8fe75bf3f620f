"""All four services in one process (``make run``)."""
