"""deploy/rabbitmq/definitions.json on the real RabbitMQ: it loads into a
fresh vhost; each service works with its own user and no more; a partner
reads adhesion events made through the API, never roster.*, and is refused
everything else."""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from urllib.parse import quote

import pika
import pytest
from pika.exceptions import (ChannelClosedByBroker, ProbableAccessDeniedError,
                             ProbableAuthenticationError)
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.bus import ConfirmingPublisher
from coalizione_common.envelope import Envelope
from deploy import brokerdefs
from tests.contract.schemas import examples, problems
from tests.deploy.brokertest import ROOT, connect, publish_outbox, service_runtime

pytestmark = pytest.mark.integration
LOGIN_REFUSED = (ProbableAuthenticationError, ProbableAccessDeniedError)
OWN_EVENT = {"registry": "registry.entity.upserted", "enrolment": "adhesion.confirmed",
             "scheduling": "session.scheduled", "notify": "notification.sent"}
_names = itertools.count(1)


def refused(action) -> int:
    """Run ``action``; the AMQP reply code the broker closed the channel with."""
    try:
        action()
    except ChannelClosedByBroker as exc:
        return exc.reply_code
    return 0


def test_the_definitions_load_into_a_fresh_vhost(loaded):
    exchanges = {e["name"]: e for e in loaded.api.request("GET", f"exchanges/{loaded.vhost}")}
    assert exchanges["coalizione.events"]["type"] == "topic" and exchanges["coalizione.events"]["durable"]
    assert exchanges["coalizione.dead"]["type"] == "direct"
    topic = {p["user"]: p for p in loaded.api.request("GET", f"vhosts/{loaded.vhost}/topic-permissions")}
    for service in brokerdefs.SERVICES:
        connect(loaded, loaded.user(service), brokerdefs.DEV_PASSWORDS[service]).close()
        assert topic[loaded.user(service)]["exchange"] == "coalizione.events"
    with pytest.raises(LOGIN_REFUSED):
        connect(loaded, loaded.user("registry"), "not-the-password")


@pytest.mark.parametrize("service", list(brokerdefs.SERVICES))
def test_each_service_runs_on_its_own_user_and_publishes_only_its_events(loaded, service, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("REGISTRY_SEED", "0")
    runtime = service_runtime(loaded, service, tmp_path)
    try:
        runtime.declare_queues()
        example = examples()[OWN_EVENT[service]]
        with Session(runtime.engine) as session, session.begin():
            runtime.emit(session, example["type"], example["subject"], example["data"])
        assert publish_outbox(runtime) >= 1
        _publishing_is_refused(runtime, "roster.erased" if service != "enrolment"
                               else "session.cancelled")
    finally:
        runtime.engine.dispose()


def _publishing_is_refused(runtime, event_type: str) -> None:
    """Another service's family, published with this service's broker user."""
    envelope = Envelope.new(event_type, runtime.name, "x", {}, runtime.clock.now())
    with runtime.bus.connection() as conn:
        publisher = ConfirmingPublisher(conn)
        with pytest.raises(Exception, match="ACCESS_REFUSED"):
            publisher.publish([runtime.bus.event_message(envelope.to_json(), event_type,
                                                         envelope.id)])


def test_scheduling_publishes_certificates_under_roster_but_no_other_roster_event(loaded,
                                                                                  tmp_path):
    runtime = service_runtime(loaded, "scheduling", tmp_path)
    try:
        runtime.declare_queues()
        example = examples()["roster.certificate.issued"]
        with Session(runtime.engine) as session, session.begin():
            runtime.emit(session, example["type"], example["subject"], example["data"])
        assert publish_outbox(runtime) >= 1
        for foreign in ("roster.updated", "roster.certificates"):
            _publishing_is_refused(runtime, foreign)
    finally:
        runtime.engine.dispose()


def test_a_service_dead_letters_and_replays_with_its_own_user(loaded, tmp_path):
    from coalizione_common.bus import OutgoingMessage
    from coalizione_common.deadletters import list_dead_letters, replay_dead_letters
    runtime = service_runtime(loaded, "enrolment", tmp_path)
    try:
        runtime.declare_queues()
        queue = next(iter(runtime.consumer().subscriptions))
        with runtime.bus.connection() as conn:
            publisher = ConfirmingPublisher(conn)
            publisher.publish([OutgoingMessage(body=b"{}", routing_key=queue,
                                               exchange=runtime.bus.dead_exchange.name,
                                               message_id="dead-1")])
            publisher.close()
        assert [d.message_id for d in list_dead_letters(runtime.bus, queue)] == ["dead-1"]
        assert [d.message_id for d in replay_dead_letters(runtime.bus, queue)] == ["dead-1"]
        assert list_dead_letters(runtime.bus, queue) == []
    finally:
        runtime.engine.dispose()


def test_a_partner_receives_an_adhesion_submitted_through_the_api_and_never_a_roster_event(
        loaded, tmp_path):
    from enrolment import handlers
    from enrolment.app import create_app
    partner = connect(loaded, loaded.user("partner-demo"), brokerdefs.DEV_PASSWORDS["partner-demo"])
    channel = partner.channel()
    queue = f"partner.{brokerdefs.DEMO_PARTNER}.adhesions-{next(_names)}"
    channel.queue_declare(queue, durable=True)
    for pattern in ("adhesion.#", "session.#", "registry.#", "notification.#", "assignment.#"):
        channel.queue_bind(queue, "coalizione.events", pattern)
    runtime = service_runtime(loaded, "enrolment", tmp_path)
    try:
        entity = examples()["registry.entity.upserted"]
        with Session(runtime.engine) as session, session.begin():
            handlers.replicate_entity(runtime, session, Envelope.from_json(json.dumps(entity)))
        client = create_app(runtime).test_client()
        topics = [t["id"] for t in client.get("/api/enrolment/v1/topics").get_json()["items"]][:1]
        response = client.post("/api/enrolment/v1/adhesions", json={
            "entity_code": entity["data"]["code"],
            "contact": {"name": "Maria Rossi", "role": "dirigente",
                        "email": "maria.rossi@comune.forli.fc.it", "phone": "+39 0543 712111"},
            "participants": [{"name": "Luca Bianchi", "role": "funzionario",
                              "email": "luca.bianchi@comune.forli.fc.it", "office": "Sociale"}],
            "webinar_topics": topics, "privacy_notice_read": True})
        assert response.status_code == 201, response.get_json()
        adhesion_id = response.get_json()["id"]
        with runtime.engine.connect() as conn:
            written = conn.execute(select(runtime.outbox.c.type)).scalars().all()
        assert "roster.updated" in written and "adhesion.submitted" in written
        publish_outbox(runtime)
    finally:
        runtime.engine.dispose()
    received = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            if any(m.routing_key == "adhesion.submitted" for m, _ in received):
                break
            time.sleep(0.1)
            continue
        received.append((method, json.loads(body)))
    keys = [m.routing_key for m, _ in received]
    assert "adhesion.submitted" in keys, keys
    assert not [k for k in keys if k.startswith("roster.")]
    submitted = next(doc for m, doc in received if m.routing_key == "adhesion.submitted")
    assert submitted["data"]["adhesion_id"] == adhesion_id and problems(submitted) == []
    channel.queue_delete(queue)
    partner.close()


def test_a_partner_is_refused_everything_but_its_own_queues(loaded, tmp_path):
    runtime = service_runtime(loaded, "enrolment", tmp_path)
    try:
        runtime.declare_queues()
        service_queue = next(iter(runtime.consumer().subscriptions))
    finally:
        runtime.engine.dispose()
    partner = connect(loaded, loaded.user("partner-demo"), brokerdefs.DEV_PASSWORDS["partner-demo"])
    queue = f"partner.{brokerdefs.DEMO_PARTNER}.probe-{next(_names)}"
    partner.channel().queue_declare(queue, durable=True)

    def publish():
        channel = partner.channel()
        channel.confirm_delivery()
        channel.basic_publish("coalizione.events", "adhesion.submitted", b"{}")

    def bind(pattern):
        return lambda: partner.channel().queue_bind(queue, "coalizione.events", pattern)

    assert refused(publish) == 403
    for pattern in ("roster.#", "roster.updated", "#", "*.updated", "*.*"):
        assert refused(bind(pattern)) == 403, pattern
    assert refused(lambda: partner.channel().basic_get(service_queue)) == 403
    assert refused(lambda: partner.channel().basic_consume(service_queue, lambda *a: None)) == 403
    assert refused(lambda: partner.channel().queue_declare("enrolment.sneaky", durable=True)) == 403
    assert refused(lambda: partner.channel().queue_bind(queue, "coalizione.dead", queue)) == 403
    assert refused(bind("adhesion.#")) == 0
    partner.channel().queue_delete(queue)
    partner.close()


def test_a_partner_provisioned_through_the_management_api_gets_its_credentials_once(loaded):
    name = f"p{loaded.tag[1:]}"[:30]
    env = {**os.environ, "RABBITMQ_MANAGEMENT_URL": loaded.api.base,
           "RABBITMQ_ADMIN_USER": loaded.user("admin"),
           "RABBITMQ_ADMIN_PASSWORD": brokerdefs.DEV_PASSWORDS["admin"]}
    script = [sys.executable, str(ROOT / "deploy" / "provision_partner.py"), name,
              "--vhost", loaded.vhost]

    def run(*extra):
        return subprocess.run(script + list(extra), env=env, capture_output=True, text=True,
                              timeout=60)

    try:
        first = run()
        assert first.returncode == 0, first.stderr
        credentials = json.loads(first.stdout)
        assert credentials["user"] == f"partner-{name}" and len(credentials["password"]) >= 24
        again = run()
        assert again.returncode != 0 and "exists" in again.stderr
        conn = connect(loaded, credentials["user"], credentials["password"])
        queue = f"partner.{name}.adhesions"
        conn.channel().queue_declare(queue, durable=True)
        assert refused(lambda: conn.channel().queue_bind(queue, "coalizione.events", "adhesion.#")) == 0
        assert refused(lambda: conn.channel().queue_bind(queue, "coalizione.events", "roster.#")) == 403
        assert refused(lambda: conn.channel().queue_declare("partner.other.x")) == 403
        bounded = loaded.api.request("GET", f"queues/{quote(loaded.vhost, safe='')}/{queue}")
        deadline = time.monotonic() + 15
        while bounded.get("policy") != "partner-queues-bounded" and time.monotonic() < deadline:
            time.sleep(0.5)  # policies apply asynchronously
            bounded = loaded.api.request("GET",
                                         f"queues/{quote(loaded.vhost, safe='')}/{queue}")
        assert bounded.get("policy") == "partner-queues-bounded", bounded
        assert bounded["effective_policy_definition"] == brokerdefs.PARTNER_QUEUE_LIMITS
        conn.close()
        rotated = run("--rotate")
        assert rotated.returncode == 0, rotated.stderr
        with pytest.raises(LOGIN_REFUSED):
            connect(loaded, credentials["user"], credentials["password"])
        connect(loaded, credentials["user"], json.loads(rotated.stdout)["password"]).close()
        revoked = run("--revoke")
        assert revoked.returncode == 0, revoked.stderr
        assert json.loads(revoked.stdout)["queues_deleted"] == [queue]
        left = loaded.api.request("GET", f"queues/{quote(loaded.vhost, safe='')}")
        assert queue not in {q["name"] for q in left}, \
            "a revoked partner's queue does not stay to fill up"
        assert run("--revoke").returncode != 0
    finally:
        try:
            loaded.api.request("DELETE", f"users/partner-{name}")
        except Exception:
            pass
