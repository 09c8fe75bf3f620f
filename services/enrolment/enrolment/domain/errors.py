"""What can go wrong with an adhesion, as the API reports it
(``kind`` is the last segment of the problem ``type``)."""
from __future__ import annotations


class EnrolmentError(Exception):
    status = 400
    kind = "bad-request"
    title = "Richiesta non valida"

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail or self.title)
        self.detail = detail
        self.extra = extra


class InvalidAdhesion(EnrolmentError):
    status, kind, title = 422, "validation", "Dati non validi"

    def __init__(self, errors: list[dict], detail: str = ""):
        super().__init__(detail or "Alcuni campi non sono compilati correttamente.",
                         errors=errors)
        self.errors = errors


class UnknownEntity(EnrolmentError):
    status, kind, title = 422, "unknown-entity", "Ente sconosciuto"


class NotEligible(EnrolmentError):
    status, kind, title = 422, "not-eligible", "Ente non ammissibile"


class AlreadyEnrolled(EnrolmentError):
    status, kind, title = 409, "already-enrolled", "Ente già iscritto"


class EnrolmentClosed(EnrolmentError):
    status, kind, title = 403, "enrolment-closed", "Iscrizioni chiuse"


class AdhesionNotFound(EnrolmentError):
    status, kind, title = 404, "not-found", "Adesione non trovata"


class InvalidLink(EnrolmentError):
    status, kind, title = 403, "invalid-link", "Link non valido"


class ExpiredLink(EnrolmentError):
    status, kind, title = 410, "link-expired", "Link scaduto"


class AdhesionWithdrawn(EnrolmentError):
    status, kind, title = 409, "withdrawn", "Adesione ritirata"


class NotPending(EnrolmentError):
    status, kind, title = 409, "not-pending", "Adesione già confermata"


class PersonNotFound(EnrolmentError):
    status, kind, title = 404, "not-found", "Persona non trovata"
