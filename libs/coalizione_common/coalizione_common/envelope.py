"""CloudEvents 1.0 structured JSON envelope: the body of every message on
``coalizione.events``."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CONTENT_TYPE = "application/cloudevents+json"
SPECVERSION = "1.0"
_REQUIRED = ("specversion", "id", "source", "type")


class MalformedEvent(ValueError):
    """The bytes are not a CloudEvents 1.0 JSON document we can handle."""


@dataclass(frozen=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    subject: str | None = None
    time: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"

    @classmethod
    def new(cls, type: str, service: str, subject: str | None, data: dict, now: datetime) -> "Envelope":
        return cls(type=type, source=f"/coalizione/{service}", subject=subject,
                   time=now.isoformat().replace("+00:00", "Z"), data=data)

    def to_dict(self) -> dict[str, Any]:
        doc = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "subject": self.subject,
            "datacontenttype": self.datacontenttype,
            "data": self.data,
        }
        return {k: v for k, v in doc.items() if v is not None}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Envelope":
        try:
            doc = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedEvent(f"body is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise MalformedEvent("body is not a JSON object")
        missing = [k for k in _REQUIRED if not isinstance(doc.get(k), str) or not doc.get(k)]
        if missing:
            raise MalformedEvent(f"missing or empty attributes: {', '.join(missing)}")
        if doc["specversion"] != SPECVERSION:
            raise MalformedEvent(f"unsupported specversion {doc['specversion']!r}")
        data = doc.get("data", {})
        if not isinstance(data, dict):
            raise MalformedEvent("data is not a JSON object")
        subject = doc.get("subject")
        return cls(type=doc["type"], source=doc["source"], id=doc["id"], data=data,
                   subject=subject if isinstance(subject, str) else None,
                   time=doc.get("time") if isinstance(doc.get("time"), str) else None,
                   datacontenttype=doc.get("datacontenttype") or "application/json")
