"""What all four coalizione services share: the CloudEvents envelope, the
transactional outbox and its relay, the idempotent inbox and the consumer
loop with dead letters, the bus on kombu, the clock and the HTTP helpers."""
