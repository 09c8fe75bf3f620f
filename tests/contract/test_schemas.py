"""The contract files themselves: every event type of the documentation has
a schema, an example that keeps it, and the schemas reject what they must."""
from __future__ import annotations

import copy
import json
import re

import pytest
from jsonschema import Draft202012Validator

from tests.contract.schemas import ROOT, SCHEMAS, examples, problems, schema_files

DOCUMENTED = sorted(set(re.findall(r"`((?:registry|adhesion|roster|session|assignment|notification)"
                                   r"\.[a-z_.]+[a-z])`", (ROOT / "docs/events.md").read_text())))


def test_every_documented_event_type_has_a_schema_and_an_example():
    assert len(DOCUMENTED) >= 15
    assert sorted(schema_files()) == DOCUMENTED
    assert sorted(examples()) == DOCUMENTED


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_each_schema_is_a_valid_draft_2020_12_schema(path):
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("event_type", DOCUMENTED)
def test_each_example_keeps_the_contract(event_type):
    assert problems(examples()[event_type]) == []


def _broken(event_type, change):
    doc = copy.deepcopy(examples()[event_type])
    change(doc)
    return problems(doc)


def test_the_envelope_is_checked():
    assert _broken("adhesion.confirmed", lambda d: d.update(specversion="0.3"))
    assert _broken("adhesion.confirmed", lambda d: d.pop("id"))
    assert _broken("adhesion.confirmed", lambda d: d.update(time="20/06/2017"))
    assert _broken("adhesion.confirmed", lambda d: d.update(source="/coalizione/registry"))
    assert _broken("adhesion.confirmed", lambda d: d.update(type="adhesion.confirmd"))


def test_required_data_and_their_shapes_are_checked():
    assert _broken("adhesion.submitted", lambda d: d["data"].pop("participants_by_role"))
    assert _broken("adhesion.submitted", lambda d: d["data"]["entity"].pop("population"))
    assert _broken("adhesion.submitted", lambda d: d["data"].update(adhesion_id="42"))
    assert _broken("registry.entity.upserted", lambda d: d["data"].update(eligible="yes"))
    assert _broken("session.scheduled", lambda d: d["data"].pop("venue"))
    assert _broken("session.rescheduled", lambda d: d["data"].pop("previous"))
    assert _broken("roster.updated", lambda d: d["data"].pop("confirm_expires_at"))
    assert _broken("roster.updated", lambda d: d["data"]["participants"][0].update(role="sindaco"))


def test_a_notification_never_names_an_address():
    assert _broken("notification.sent",
                   lambda d: d["data"].update(recipient_id="maria.rossi@comune.forli.fc.it"))


def test_further_fields_are_allowed_so_the_contract_can_grow():
    assert not _broken("adhesion.confirmed", lambda d: d["data"].update(channel="web"))
    assert not _broken("adhesion.confirmed", lambda d: d.update(traceparent="00-abc-def-01"))


def test_personal_data_appear_only_in_roster_events():
    personal = re.compile(r"@|\+39|Rossi|Bianchi")
    for event_type, doc in examples().items():
        if not event_type.startswith("roster."):
            assert not personal.search(json.dumps(doc["data"], ensure_ascii=False)), event_type


def test_the_asyncapi_document_names_every_type_and_its_schema():
    import yaml
    doc = yaml.safe_load((ROOT / "docs/asyncapi.yaml").read_text())
    assert doc["asyncapi"].startswith("3.")
    addresses = sorted(c["address"] for c in doc["channels"].values())
    assert addresses == DOCUMENTED
    for name, message in doc["components"]["messages"].items():
        ref = message["payload"]["schema"]["$ref"]
        assert (ROOT / "docs" / ref).resolve().is_file(), ref
        assert problems(message["examples"][0]["payload"]) == []
    for operation in doc["operations"].values():
        channel = operation["channel"]["$ref"].rsplit("/", 1)[1]
        assert channel in doc["channels"] and operation["action"] == "send"


def test_notifications_carry_the_adhesion_and_the_attempts():
    assert _broken("notification.sent", lambda d: d["data"].pop("attempts"))
    assert _broken("notification.sent", lambda d: d["data"].update(attempts=0))
    assert not _broken("notification.failed", lambda d: d["data"].update(attempts=0))
    assert not _broken("notification.failed", lambda d: d["data"].update(adhesion_id=None))


def test_the_asyncapi_document_is_generated_from_the_schema_files():
    from tests.contract.asyncapi import render
    assert (ROOT / "docs/asyncapi.yaml").read_text() == render(), \
        "regenerate: python -m tests.contract.asyncapi > docs/asyncapi.yaml"
