"""docs/asyncapi.yaml is generated from the schema and example files of
docs/events/, so the two cannot drift apart:

    python -m tests.contract.asyncapi > docs/asyncapi.yaml
"""
from __future__ import annotations

import json
import sys

import yaml

from tests.contract.schemas import EXAMPLES, SCHEMAS, schema_files

OWNER = {"registry": "registry", "adhesion": "enrolment", "roster": "enrolment",
         "session": "scheduling", "assignment": "scheduling", "notification": "notify"}
HEADER = ("# coalizione's event contract, AsyncAPI 3.0, generated from docs/events/\n"
          "# (python -m tests.contract.asyncapi > docs/asyncapi.yaml); the payload\n"
          "# schemas are the JSON Schemas (draft 2020-12) there.\n")


def document() -> dict:
    doc = {
        "asyncapi": "3.0.0",
        "info": {"title": "coalizione events", "version": "1.0.0", "description": (
            "Every state change of coalizione, as CloudEvents 1.0 structured JSON on the "
            "RabbitMQ topic exchange coalizione.events (vhost coalizione). The routing key is "
            "the event type. roster.* events carry personal data and are for the platform's "
            "services only: partner users cannot bind them. Extend, never break: consumers "
            "must ignore fields they do not know.")},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"broker": {"host": "rabbitmq:5672", "protocol": "amqp",
                               "protocolVersion": "0-9-1", "pathname": "/coalizione",
                               "description": "RabbitMQ; partners get their own user "
                                              "(deploy/provision_partner.py)"}},
        "channels": {}, "operations": {}, "components": {"messages": {}}}
    for event_type, path in schema_files().items():
        key = event_type.replace(".", "_")
        schema = json.loads(path.read_text())
        example = json.loads((EXAMPLES / f"{event_type}.json").read_text())
        doc["components"]["messages"][key] = {
            "name": event_type, "title": event_type, "summary": schema["description"],
            "contentType": "application/cloudevents+json",
            "payload": {"schemaFormat": "application/schema+json;version=draft-2020-12",
                        "schema": {"$ref": f"./events/{path.name}"}},
            "examples": [{"name": "example", "payload": example}],
            "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": event_type,
                                  "bindingVersion": "0.3.0"}}}
        doc["channels"][key] = {
            "address": event_type, "title": event_type,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {"amqp": {"is": "routingKey", "bindingVersion": "0.3.0", "exchange": {
                "name": "coalizione.events", "type": "topic", "durable": True,
                "autoDelete": False, "vhost": "coalizione"}}}}
        owner = ("any service" if event_type == "registry.resync.requested"
                 else "scheduling" if event_type.startswith("roster.certificate.")
                 else OWNER[event_type.split(".")[0]])
        doc["operations"][f"publish_{key}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"published by {owner} through its transactional outbox "
                       "(publisher confirms, persistent)",
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "bindings": {"amqp": {"deliveryMode": 2, "mandatory": False,
                                  "bindingVersion": "0.3.0"}}}
    return doc


def render() -> str:
    return HEADER + yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render())
