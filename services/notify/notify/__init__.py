"""The notify service: every message a person must receive."""
SERVICE = "notify"
