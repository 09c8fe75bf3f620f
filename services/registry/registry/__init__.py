"""The registry service: who may join the programme."""
SERVICE = "registry"
