"""The dead-letter queues over HTTP, on the in-memory bus and on RabbitMQ:
a poison event is dead-lettered, listed, replayed once the handler is
fixed, and handled once."""
from __future__ import annotations

import dataclasses

import pytest
from kombu import Connection
from sqlalchemy.orm import Session

from coalizione_common.auth import create_token
from coalizione_common.bus import ConfirmingPublisher, OutgoingMessage
from coalizione_common.deadletters_http import dead_letter_openapi
from coalizione_common.http import create_service_app
from tests.support.backbone import build, effects, wait_for
from tests.support.services import memory_bus


LIST = "/api/probe/v1/dead-letters"
REPLAY = "/api/probe/v1/dead-letters/replay"
OPERATOR = {"Authorization": "Bearer op-token"}


def start(runtime, broker, stop):
    if broker is not None:
        broker.track(*runtime.consumer().subscriptions)
    runtime.declare_queues()
    return runtime.start_worker(stop)


def publish_raw(runtime, body: bytes, routing_key: str, message_id: str) -> None:
    with Connection(runtime.bus.settings.url) as conn:
        publisher = ConfirmingPublisher(conn)
        publisher.publish([OutgoingMessage(body=body, routing_key=routing_key,
                                           exchange=runtime.bus.exchange.name,
                                           message_id=message_id)])
        publisher.close()


def service(url, bus, handler=None):
    runtime = build(url, bus, handler=handler)
    runtime.settings = dataclasses.replace(runtime.settings, operator_token="op-token")
    client = create_service_app(runtime, __name__).test_client()
    client.viewer = {"Authorization": f"Bearer {create_token(runtime, 'viewer')}"}
    return runtime, client


def dead_count(client) -> int:
    return sum(q["count"] for q in client.get(LIST, headers=client.viewer).json["queues"])


def test_a_poison_event_is_listed_then_replayed_over_http_and_handled_once(backend, stop):
    url, bus, broker = backend
    broken = {"on": True}

    def handler(envelope):
        if envelope.data.get("poison") and broken["on"]:
            raise RuntimeError("no handler for this yet")

    runtime, client = service(url, bus, handler)
    [queue] = runtime.consumer().subscriptions
    start(runtime, broker, stop)
    with Session(runtime.engine) as session, session.begin():
        runtime.emit(session, "thing.fine", "a", {"i": 1})
        poison = runtime.emit(session, "thing.poison", "b", {"poison": True})
        other = runtime.emit(session, "thing.poison", "c", {"poison": True})
    assert wait_for(lambda: dead_count(client) == 2, timeout=30)
    assert effects(runtime) == (1, 1)

    listing = client.get(LIST, headers=client.viewer)
    assert listing.status_code == 200
    [entry] = listing.json["queues"]
    assert (entry["queue"], entry["dead_letter_queue"], entry["count"]) == (
        queue, f"{queue}.dead", 2)
    letters = {m["id"]: m for m in entry["messages"]}
    assert set(letters) == {poison.id, other.id}
    letter = letters[poison.id]
    assert (letter["type"], letter["subject"], letter["attempts"]) == (
        "thing.poison", "b", bus.max_attempts)
    assert "RuntimeError: no handler for this yet" in letter["error"]
    assert letter["dead_at"]
    assert client.get(f"{LIST}?limit=1", headers=client.viewer).json["queues"][0]["count"] == 2
    assert len(client.get(f"{LIST}?limit=1", headers=client.viewer)
               .json["queues"][0]["messages"]) == 1

    assert client.post(REPLAY, json={"queue": queue}, headers=client.viewer).status_code == 403
    broken["on"] = False
    r = client.post(REPLAY, json={"queue": queue, "ids": [poison.id]}, headers=OPERATOR)
    assert r.status_code == 200, r.json
    assert (r.json["replayed"], r.json["ids"]) == (1, [poison.id])
    assert wait_for(lambda: effects(runtime) == (2, 2))
    assert [m["id"] for m in client.get(LIST, headers=client.viewer)
            .json["queues"][0]["messages"]] == [other.id]

    r = client.post(REPLAY, json={"queue": f"{queue}.dead"}, headers=OPERATOR)
    assert r.json["replayed"] == 1
    assert wait_for(lambda: effects(runtime) == (3, 3))
    again = client.post(REPLAY, json={"queue": queue, "ids": [poison.id]}, headers=OPERATOR)
    assert again.json["replayed"] == 0
    assert wait_for(lambda: False, timeout=0.3) is False
    assert effects(runtime) == (3, 3) and dead_count(client) == 0


def test_a_broken_body_is_listed_with_what_can_be_read(backend, stop):
    url, bus, broker = backend
    runtime, client = service(url, bus)
    start(runtime, broker, stop)
    publish_raw(runtime, b"\xff{not json", "thing.broken", "broken-1")
    assert wait_for(lambda: dead_count(client) == 1, timeout=30)
    [letter] = client.get(LIST, headers=client.viewer).json["queues"][0]["messages"]
    assert letter["id"] == "broken-1" and letter["type"] == "thing.broken"
    assert letter["subject"] is None and letter["attempts"] == 0
    assert "not JSON" in letter["error"]


@pytest.fixture
def idle(tmp_path):
    return service(f"sqlite:///{tmp_path / 'idle.db'}", memory_bus())


def test_only_the_services_own_queues_can_be_replayed(idle):
    runtime, client = idle
    [queue] = runtime.consumer().subscriptions
    r = client.post(REPLAY, json={"queue": "enrolment.registry"}, headers=OPERATOR)
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert r.json["type"].endswith("/unknown-queue") and r.json["queues"] == [queue]
    assert client.post(REPLAY, json={"queue": queue}, headers=OPERATOR).json["replayed"] == 0


@pytest.mark.parametrize("body, fields", [
    ({}, {"queue"}),
    ({"queue": 3, "ids": "x"}, {"queue", "ids"}),
    ({"queue": "q", "ids": []}, {"ids"}),
    ({"queue": "q", "colour": "red"}, {"colour"}),
])
def test_a_bad_replay_body_is_422_with_the_fields(idle, body, fields):
    _, client = idle
    r = client.post(REPLAY, json=body, headers=OPERATOR)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert {e["field"] for e in r.json["errors"]} == fields


def test_a_body_that_is_not_a_json_object_is_422(idle):
    _, client = idle
    for data in (b"[1]", b"not json", b""):
        r = client.post(REPLAY, data=data, headers=dict(OPERATOR, **{
            "Content-Type": "application/json"}))
        assert r.status_code == 422, data


def test_listing_needs_a_token_and_a_sane_limit(idle):
    _, client = idle
    assert client.get(LIST).status_code == 401
    assert client.get(f"{LIST}?limit=0", headers=client.viewer).status_code == 422
    assert client.get(LIST, headers=client.viewer).json["queues"][0]["count"] == 0


def test_the_openapi_fragment_describes_both_endpoints():
    paths = dead_letter_openapi()
    assert set(paths) == {"/dead-letters", "/dead-letters/replay"}
    assert set(dead_letter_openapi("/api/x/v1")) == {"/api/x/v1/dead-letters",
                                                     "/api/x/v1/dead-letters/replay"}
    assert {"404", "422"} <= set(paths["/dead-letters/replay"]["post"]["responses"])
