"""Fixtures of the registry's tests: the real ISTAT data is loaded once per
session into a SQLite template; tests that change data get a copy."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from registry.adapters.orm import entities
from tests.support.services import build_service


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """A registry database seeded the way a first start seeds it."""
    folder = tmp_path_factory.mktemp("registry-seeded")
    runtime = build_service("registry", folder)
    runtime.engine.dispose()
    return folder / "registry.db"


@pytest.fixture(scope="session")
def shared_registry(seeded_template, tmp_path_factory):
    """A read-only registry on the seeded data, shared by every test."""
    folder = tmp_path_factory.mktemp("registry-shared")
    shutil.copy(seeded_template, folder / "registry.db")
    return build_service("registry", folder)


@pytest.fixture
def registry(seeded_template, tmp_path):
    """A registry of its own on a copy of the seeded data (may be changed)."""
    shutil.copy(seeded_template, tmp_path / "registry.db")
    runtime = build_service("registry", tmp_path)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def empty_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_SEED", "0")
    runtime = build_service("registry", tmp_path / "empty")
    yield runtime
    runtime.engine.dispose()


def count(runtime, table=entities, *where) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def upserts(runtime) -> list[str]:
    """Subjects of the registry.entity.upserted events in the outbox, in order."""
    outbox = runtime.outbox
    with runtime.engine.connect() as conn:
        return list(conn.execute(select(outbox.c.subject)
                                 .where(outbox.c.type == "registry.entity.upserted")
                                 .order_by(outbox.c.id)).scalars())
