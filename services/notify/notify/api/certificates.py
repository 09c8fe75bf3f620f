"""The certificates notify mailed, rendered again for the office (operator)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem

from .. import certificates, replica
from ..documents import certificate_pdf

bp = Blueprint("notify_certificates", __name__, url_prefix="/api/notify/v1")


@bp.get("/certificates/<certificate_id>.pdf")
@require_role("operator")
def certificate_document(certificate_id: str):
    """The same PDF as the one mailed: the stored facts and the holder's
    name as it was then (the replica's current one if notify had none);
    410 once the holder's personal data were erased."""
    runtime = current_app.extensions["runtime"]
    with Session(runtime.engine) as session:
        certificate = certificates.load(session, certificate_id)
        if certificate is None:
            raise Problem(404, "not-found", "No such certificate",
                          f"No certificate has id {certificate_id}.")
        holder = replica.person(session, certificate["participant_id"])
        name = certificate["holder_name"] or (holder or {}).get("name")
        if not name:
            if replica.is_erased(session, certificate["participant_id"]):
                raise Problem(410, "erased", "The holder's personal data were erased",
                              "The certificate's facts are kept, but no longer its holder's "
                              "name: the document cannot be issued again.")
            raise Problem(409, "holder-unknown", "The holder is not known yet",
                          "notify has not received the roster that names the holder.")
    attachment = certificate_pdf(certificate, name, certificates.verify_url(runtime, certificate))
    return Response(attachment.content, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{attachment.filename}"'})
