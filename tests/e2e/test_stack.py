"""The deployed stack, started by pytest-docker from docker-compose.yml:
every container healthy, the proxy's routes and aggregated health, an
adhesion submitted through the proxy reaching a partner queue on the
broker, never a roster event. Runs only where a Docker engine answers."""
from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.request

import pytest

from deploy import brokerdefs
from tests.contract.schemas import problems

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, OSError, ValueError):
        return None, None


@pytest.fixture(scope="module")
def stack(docker_engine, request):
    os.environ.setdefault("PORT", str(_free_port()))
    os.environ.setdefault("COALIZIONE_NOW", "2017-06-20T07:00:00Z")
    services = request.getfixturevalue("docker_services")
    base = f"http://127.0.0.1:{services.port_for('proxy', 8080)}"
    services.wait_until_responsive(lambda: _get(f"{base}/readyz")[0] == 200, timeout=600, pause=3)
    amqp_port = services.port_for("rabbitmq", 5672)
    return base, amqp_port


def test_the_proxy_routes_each_prefix_and_answers_for_the_whole(stack):
    base, _ = stack
    status, body = _get(f"{base}/readyz")
    assert status == 200 and set(body["services"]) == {"registry", "enrolment", "scheduling", "notify"}
    for service in ("registry", "enrolment", "scheduling", "notify"):
        status, body = _get(f"{base}/api/{service}/v1/healthz")
        assert status == 200 and body["service"] == service


def test_an_adhesion_through_the_proxy_reaches_a_partner_but_its_roster_does_not(stack):
    import pika
    base, amqp_port = stack
    url = (f"amqp://partner-demo:{brokerdefs.DEV_PASSWORDS['partner-demo']}@127.0.0.1:"
           f"{amqp_port}/coalizione")
    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    queue = "partner.demo.e2e"
    channel.queue_declare(queue, durable=True)
    channel.queue_bind(queue, "coalizione.events", "adhesion.#")
    deadline = time.monotonic() + 180
    while _get(f"{base}/api/enrolment/v1/entities?q=forli")[1] in (None, {"items": [], "next": None}):
        assert time.monotonic() < deadline, "the enrolment replica never got the registry's entities"
        time.sleep(2)
    topics = [t["id"] for t in _get(f"{base}/api/enrolment/v1/topics")[1]["items"]][:1]
    payload = json.dumps({
        "entity_code": "040012",
        "contact": {"name": "Maria Rossi", "role": "dirigente",
                    "email": "maria.rossi@comune.forli.fc.it", "phone": "+39 0543 712111"},
        "participants": [{"name": "Luca Bianchi", "role": "funzionario",
                          "email": "luca.bianchi@comune.forli.fc.it", "office": "Sociale"}],
        "webinar_topics": topics, "privacy_notice_read": True}).encode()
    request = urllib.request.Request(f"{base}/api/enrolment/v1/adhesions", data=payload,
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201
        adhesion_id = json.loads(response.read())["id"]
    seen = []
    while time.monotonic() < deadline:
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.5)
            continue
        seen.append((method.routing_key, json.loads(body)))
        if method.routing_key == "adhesion.submitted" and seen[-1][1]["data"]["adhesion_id"] == adhesion_id:
            break
    assert any(k == "adhesion.submitted" and problems(d) == [] for k, d in seen)
    assert not any(k.startswith("roster.") for k, _ in seen)
    channel.queue_delete(queue)
    conn.close()
