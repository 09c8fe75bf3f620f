from flask import Blueprint
bp = Blueprint("enrolment_form", __name__)
def too_many_requests(headers):
    return "Troppe richieste", 429, headers
