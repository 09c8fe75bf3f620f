"""Imports are atomic and idempotent, announce only what changed, and a
resync request re-announces everything."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from registry import bootstrap
from registry.adapters.sources import ImportRejected, parse_file
from registry.handlers import BUNDLED_FILES, get_entity, import_files
from tests.support.backbone import wait_for

from .conftest import count, upserts

COMUNI, UNITS = BUNDLED_FILES
ROOT = Path(__file__).resolve().parents[3]


def write_comuni(path: Path, change=None, limit: int | None = None) -> Path:
    """A copy of the bundled comuni file, rows changed by ``change(row)``."""
    with open(COMUNI, encoding="utf-8", newline="") as src:
        reader = csv.DictReader(src)
        rows = list(reader)[:limit]
        fields = reader.fieldnames
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fields)
        writer.writeheader()
        for row in rows:
            writer.writerow(change(row) if change else row)
    return path


def test_reimporting_the_same_files_announces_nothing(registry):
    before = len(upserts(registry))
    result = import_files(registry, BUNDLED_FILES)
    assert result.as_dict() == {"created": 0, "updated": 0, "unchanged": 8006, "announced": 0}
    assert len(upserts(registry)) == before


def test_a_second_import_with_two_changed_populations_publishes_exactly_two_upserts(registry, tmp_path):
    def change(row):
        if row["codice_istat"] == "086006":        # Catenanuova, 4,999 in 2011
            row["popolazione_censimento_2011"] = "5000"
        if row["codice_istat"] == "003154":        # Varallo Pombia
            row["popolazione_2023"] = "5000"
        return row

    before = upserts(registry)
    result = import_files(registry, [write_comuni(tmp_path / "comuni.csv", change), UNITS])
    after = upserts(registry)
    assert (len(result.updated), len(result.created)) == (2, 0)
    assert sorted(after[len(before):]) == ["003154", "086006"]
    catenanuova = get_entity(registry, "086006")
    assert catenanuova["eligible"] and "5.000" in catenanuova["eligibility_reason"]
    assert get_entity(registry, "003154")["population_latest"] == 5000


def test_a_file_with_bad_rows_is_rejected_whole_with_every_bad_line(registry, tmp_path):
    with open(COMUNI, encoding="utf-8", newline="") as src:
        codes = [row["codice_istat"] for row in csv.DictReader(src)]
    line = {code: n for n, code in enumerate(codes, start=2)}

    def change(row):
        code = row["codice_istat"]
        if code == codes[0]:
            row["popolazione_censimento_2011"] = "2.644"
        elif code == codes[2]:
            row["codice_istat"] = code[1:]
        elif code == codes[4]:
            row["sigla_provincia"] = ""
        elif code == codes[1]:                      # a valid change, must not land
            row["popolazione_2023"] = "1"
        return row

    entities_before, outbox_before = count(registry), len(upserts(registry))
    with pytest.raises(ImportRejected) as rejected:
        import_files(registry, [write_comuni(tmp_path / "bad.csv", change)])
    assert rejected.value.lines == [line[codes[0]], line[codes[2]], line[codes[4]]] == [2, 4, 6]
    assert {e.field for e in rejected.value.errors} == {"popolazione_censimento_2011",
                                                        "codice_istat", "sigla_provincia"}
    assert count(registry) == entities_before and len(upserts(registry)) == outbox_before
    assert get_entity(registry, codes[1])["population_latest"] != 1


def test_one_bad_file_rejects_the_others_of_the_same_import(empty_registry, tmp_path):
    good = write_comuni(tmp_path / "good.csv", limit=5)
    bad = tmp_path / "bodies.csv"
    bad.write_text("code,name,kind,region\nIPA-a,Unione A,unione_di_comuni,Piemonte\n"
                   "IPA-a,Unione A bis,unione_di_comuni,Piemonte\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="line"):
        import_files(empty_registry, [good, bad])
    assert count(empty_registry) == 0


def test_bodies_file_format(tmp_path):
    path = tmp_path / "bodies.csv"
    path.write_text(
        "code;name;kind;region;province;population;population_date;lat;lon;members;seat\n"
        "IPA-ucvalsesia;Unione Montana Valsesia;unione_montana;Piemonte;VC;;;;;002002|002158;\n"
        "CM-1;Comunità montana;comunita_montana;Lazio;;1200;2020-01-01;41.9;12.5;;\n",
        encoding="utf-8")
    fmt, records = parse_file(path)
    assert fmt == "bodies" and [r.code for r in records] == ["IPA-ucvalsesia", "CM-1"]
    assert records[0].extra["members"] == ["002002", "002158"]
    assert records[1].figures == {"2020-01-01": 1200}
    path.write_text("code,name,kind,region,lat\nIPA-x,X,comune,,91\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        parse_file(path)
    assert {e.field for e in rejected.value.errors} == {"kind", "region", "lat"}


def test_bodies_without_coordinates_sit_at_their_members(registry, tmp_path):
    path = tmp_path / "bodies.csv"
    path.write_text("code,name,kind,region,members\n"
                    "IPA-uc,Unione,unione_di_comuni,Piemonte,001001|001002\n", encoding="utf-8")
    import_files(registry, [path])
    union, a, b = (get_entity(registry, c) for c in ("IPA-uc", "001001", "001002"))
    assert union["lat"] == pytest.approx((a["lat"] + b["lat"]) / 2, abs=1e-6)
    assert union["eligible"] and union["source"] == "operator"


def test_first_start_seeds_once_and_registry_seed_0_skips_it(registry, empty_registry):
    assert count(empty_registry) == 0
    before = len(upserts(registry))
    bootstrap.prepare(registry)
    assert count(registry) == 8006 and len(upserts(registry)) == before


def test_a_resync_request_re_announces_every_entity(empty_registry, tmp_path):
    runtime = empty_registry
    import_files(runtime, [write_comuni(tmp_path / "few.csv", limit=25)])
    with Session(runtime.engine) as session, session.begin():
        session.execute(update(runtime.outbox).values(published_at=runtime.clock.now()))
    first = upserts(runtime)
    stop = threading.Event()
    runtime.declare_queues()
    threads = runtime.start_worker(stop)
    try:
        with Session(runtime.engine) as session, session.begin():
            runtime.emit(session, "registry.resync.requested", None, {"requested_by": "test"})
        assert wait_for(lambda: len(upserts(runtime)) == 50, timeout=20)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
    again = upserts(runtime)[25:]
    assert sorted(again) == sorted(first) and len(first) == 25


def test_the_import_command_reports_every_bad_line(tmp_path):
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "AMQP_URL": "memory://", "PYTHONPATH": str(ROOT)}
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,kind,region\nIPA-ok,Unione,unione_di_comuni,Piemonte\n"
                   "123456,Comune?,unione_di_comuni,Piemonte\nIPA-z,Z,nessuno,Lazio\n",
                   encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "registry", "import", str(bad)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "line 3: code" in run.stderr and "line 4: kind" in run.stderr
    good = write_comuni(tmp_path / "good.csv", limit=3)
    run = subprocess.run([sys.executable, "-m", "registry", "import", str(good), str(good)],
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1])["created"] == 3
