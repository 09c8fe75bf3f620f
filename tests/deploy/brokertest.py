"""The committed broker definitions loaded into a fresh, uniquely named
vhost of the real RabbitMQ (users renamed too), through its management API."""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit

import pika

from coalizione_common.config import BusSettings
from deploy import brokerdefs
from tests.support import infrastructure as infra
from tests.support.services import build_service

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
WINDOW = "2017-06-20T09:00:00+02:00"


class Management:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.base = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}"
        self.user, self.password = parts.username or "guest", parts.password or "guest"

    def request(self, method: str, path: str, body=None):
        auth = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        req = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Basic {auth}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as response:
            raw = response.read()
            return json.loads(raw) if raw else None

    def answers(self) -> bool:
        try:
            self.request("GET", "overview")
            return True
        except (urllib.error.URLError, OSError):
            return False


def management_for(amqp_url: str) -> Management:
    """The management API of the broker at ``amqp_url``; on this machine's
    own broker the plugin is enabled when it is not (root is needed)."""
    host = urlsplit(amqp_url).hostname or "127.0.0.1"
    configured = os.environ.get("COALIZIONE_TEST_RABBITMQ_MANAGEMENT_URL")
    api = Management(configured or f"http://guest:guest@{host}:15672")
    if api.answers():
        return api
    if not configured and host in ("127.0.0.1", "localhost") and shutil.which("rabbitmq-plugins"):
        subprocess.run(["rabbitmq-plugins", "enable", "rabbitmq_management"], capture_output=True,
                       timeout=120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not api.answers():
            time.sleep(1)
    if not api.answers():
        infra.unavailable(f"the RabbitMQ management API at {api.base} does not answer "
                          "(rabbitmq-plugins enable rabbitmq_management)")
    return api


class LoadedDefinitions:
    """definitions.json in vhost ``vhost`` with every user renamed ``<tag>-<user>``."""

    def __init__(self, api: Management, amqp_url: str, tag: str):
        self.api, self.tag = api, tag
        self.vhost = f"{tag}-coalizione"
        parts = urlsplit(amqp_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 5672
        self.doc = json.loads(DEFINITIONS.read_text())
        self.users = [u["name"] for u in self.doc["users"]]

    def user(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def rewritten(self) -> dict:
        doc = json.loads(json.dumps(self.doc))
        for vhost in doc["vhosts"]:
            vhost["name"] = self.vhost
        for section in ("permissions", "topic_permissions", "exchanges", "queues", "bindings",
                        "policies", "parameters"):
            for item in doc.get(section, []):
                item["vhost"] = self.vhost
        for user in doc["users"]:
            user["name"] = self.user(user["name"])
        for section in ("permissions", "topic_permissions"):
            for item in doc[section]:
                item["user"] = self.user(item["user"])
        return doc

    def load(self, timeout: float = 30.0) -> None:
        """Import, then wait until the vhost, its exchanges and the permissions are there."""
        self.api.request("POST", "definitions", self.rewritten())
        vhost = quote(self.vhost, safe="")
        deadline = time.monotonic() + timeout
        while True:
            try:
                names = {e["name"] for e in self.api.request("GET", f"exchanges/{vhost}")}
                granted = self.api.request("GET", f"vhosts/{vhost}/topic-permissions")
                if {"coalizione.events", "coalizione.dead"} <= names and \
                        len(granted) == len(self.doc["topic_permissions"]):
                    return
            except urllib.error.HTTPError as exc:
                if exc.code != 404:
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"definitions not loaded into {self.vhost} in {timeout}s")
            time.sleep(0.2)

    def amqp_url(self, user: str, password: str) -> str:
        return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{self.host}:{self.port}/{quote(self.vhost, safe='')}"

    def delete(self) -> None:
        for path in [f"vhosts/{quote(self.vhost, safe='')}"] + [
                f"users/{quote(self.user(u), safe='')}" for u in self.users]:
            try:
                self.api.request("DELETE", path)
            except urllib.error.HTTPError:
                pass


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def connect(loaded, user: str, password: str) -> pika.BlockingConnection:
    return pika.BlockingConnection(pika.URLParameters(loaded.amqp_url(user, password)))


def service_runtime(loaded, service: str, folder):
    """``service`` built on SQLite, on the test vhost with its own broker user."""
    url = loaded.amqp_url(loaded.user(service), brokerdefs.DEV_PASSWORDS[service])
    return build_service(service, folder, bus=BusSettings(url=url), now=WINDOW)


def publish_outbox(runtime) -> int:
    """Run the service's relay until its outbox is empty."""
    relay = runtime.relay()
    try:
        total = 0
        while (sent := relay.publish_batch()):
            total += sent
        return total
    finally:
        relay._drop_connection()
