"""The enrolment service: the Scheda di adesione and the adhesions."""
SERVICE = "enrolment"
