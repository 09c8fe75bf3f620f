"""Deployment files; brokerdefs is importable by the tests as ``deploy.brokerdefs``."""
