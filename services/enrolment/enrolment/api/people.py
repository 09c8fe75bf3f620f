"""Operations on one person's personal data: export what is held about
them (right of access) and erase it (right to erasure). Operator only."""
from __future__ import annotations

from flask import Blueprint, request

from coalizione_common.auth import require_role

from .. import erasure, personal_data
from ..domain.errors import InvalidAdhesion
from .common import PREFIX, json_body, runtime

bp = Blueprint("enrolment_people", __name__, url_prefix=PREFIX)


def _email(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidAdhesion([{"field": field, "message": "Indica l'indirizzo e-mail."}],
                              "Manca l'indirizzo e-mail della persona.")
    if "@" not in value:
        raise InvalidAdhesion([{"field": field, "message": "Indirizzo e-mail non valido."}],
                              "L'indirizzo e-mail non è valido.")
    return value


@bp.get("/people")
@require_role("operator")
def find_by_email():
    email = _email(request.args.get("email"), "email")
    return {"items": personal_data.records_of(runtime(), email=email)}


@bp.post("/people/search")
@require_role("operator")
def search_by_email():
    """The same as ``GET /people?email=``, with the address in the body, so
    that it stays out of access logs (an erasure cannot reach those)."""
    body = json_body()
    email = _email(body.get("email") if isinstance(body, dict) else None, "email")
    return {"items": personal_data.records_of(runtime(), email=email)}


@bp.get("/people/<person_id>")
@require_role("operator")
def find_by_id(person_id):
    return {"items": personal_data.records_of(runtime(), person_id=person_id)}


@bp.post("/people/erasure")
@require_role("operator")
def erase():
    """Erase one person (``person_id``) or everyone with an address
    (``email``), wherever they appear."""
    body = json_body()
    if not isinstance(body, dict) or len({"person_id", "email"} & set(body)) != 1:
        raise InvalidAdhesion([{"field": "person_id",
                                "message": "Indica person_id oppure email (uno solo)."}],
                              "Indica la persona da cancellare con person_id oppure email.")
    if "email" in body:
        erased = erasure.erase_person(runtime(), email=_email(body["email"], "email"))
    else:
        person_id = body["person_id"]
        if not isinstance(person_id, str) or not person_id.strip():
            raise InvalidAdhesion([{"field": "person_id",
                                    "message": "Deve essere l'identificativo di una persona."}])
        erased = erasure.erase_person(runtime(), person_id=person_id.strip())
    return {"erased": [{"adhesion_id": e.adhesion_id, "person_ids": e.person_ids}
                       for e in erased]}
