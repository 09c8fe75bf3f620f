"""Reading entity files: ISTAT's list of comuni, ISTAT's supra-municipal
units, and the bodies file operators fill in (format in the README).

Every parser validates the whole file and raises :class:`ImportRejected`
with one error per bad line and field, so that nothing is imported from a
file with a single malformed row.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain.entity import BODY_KINDS, EntityRecord

CENSUS_2011 = "2011-10-09"
RESIDENT_2023 = "2023-01-01"

# \Z, not $: "$" also matches before a final newline ("IPA-x\n" would pass).
COMUNE_CODE = re.compile(r"^[0-9]{6}\Z")
BODY_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,9}-[A-Za-z0-9._-]{1,48}\Z")
SIGLA = re.compile(r"^[A-Z]{2}\Z")

ISTAT_COMUNI_COLUMNS = ("codice_istat", "denominazione", "denominazione_it",
                        "denominazione_altra_lingua", "codice_catastale", "codice_regione",
                        "regione", "codice_uts", "denominazione_uts", "sigla_provincia",
                        "capoluogo", "popolazione_censimento_2011", "popolazione_2023",
                        "lat_punto_interno", "lon_punto_interno")
ISTAT_UTS_COLUMNS = ("codice_uts", "denominazione_uts", "tipologia_uts_codice", "regione",
                     "sigle_provincia", "numero_comuni", "popolazione_censimento_2011",
                     "popolazione_2023")
BODY_COLUMNS = ("code", "name", "kind", "region")
BODY_OPTIONAL = ("province", "population", "population_date", "lat", "lon", "members", "seat")

UTS_KINDS = {"1": ("provincia", "Provincia di {}"),
             "2": ("provincia_autonoma", "Provincia autonoma di {}"),
             "3": ("citta_metropolitana", "Città metropolitana di {}"),
             "4": ("libero_consorzio", "Libero consorzio comunale di {}"),
             "5": ("unita_non_amministrativa", "Unità territoriale non amministrativa di {}")}


@dataclass(frozen=True)
class LineError:
    line: int | None
    field: str
    message: str

    def as_dict(self) -> dict:
        doc = {"field": self.field, "message": self.message}
        if self.line is not None:
            doc["line"] = self.line
        return doc

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.message}"


class ImportRejected(ValueError):
    """The input has errors; nothing was imported."""

    def __init__(self, errors: list[LineError], source: str = ""):
        self.errors = errors
        self.source = source
        lines = sorted({e.line for e in errors if e.line is not None})
        super().__init__(f"{source or 'input'} rejected: {len(errors)} error(s)"
                         + (f" on line(s) {', '.join(map(str, lines))}" if lines else ""))

    @property
    def lines(self) -> list[int]:
        return sorted({e.line for e in self.errors if e.line is not None})


# reading ---------------------------------------------------------------------
def _rows(text: str):
    """(line number, row dict) for each record, and the header."""
    if text.startswith("\ufeff"):
        text = text[1:]
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header

    def rows():
        for row in reader:
            if not any((v or "").strip() for k, v in row.items() if k is not None):
                continue
            yield reader.line_num, row
    return header, rows()


def detect_format(header: list[str]) -> str | None:
    names = set(header)
    if "codice_istat" in names and "denominazione" in names:
        return "istat-comuni"
    if "codice_uts" in names and "tipologia_uts_codice" in names:
        return "istat-uts"
    if set(BODY_COLUMNS) <= names:
        return "bodies"
    return None


def parse_text(text: str, source: str = "") -> tuple[str, list[EntityRecord]]:
    """Detect the format by the header, then parse; returns (format, records)."""
    header, rows = _rows(text)
    fmt = detect_format(header)
    if fmt is None:
        raise ImportRejected([LineError(1, "header", "unknown format: expected the ISTAT list of "
                                        "comuni, the ISTAT supra-municipal units or the bodies "
                                        f"format ({', '.join(BODY_COLUMNS)}, ...)")], source)
    required = {"istat-comuni": ISTAT_COMUNI_COLUMNS, "istat-uts": ISTAT_UTS_COLUMNS,
                "bodies": BODY_COLUMNS}[fmt]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected([LineError(1, "header", f"missing column(s): {', '.join(missing)}")],
                             source)
    parse_row = {"istat-comuni": _comune, "istat-uts": _uts, "bodies": _body_row}[fmt]
    records, errors, seen = [], [], {}
    for line, row in rows:
        row = {k: (v or "").strip() for k, v in row.items() if k is not None}
        row_errors: list[LineError] = []
        record = parse_row(row, line, row_errors)
        if record is not None and not row_errors:
            if record.code in seen:
                row_errors.append(LineError(line, "code", f"duplicate code {record.code} "
                                                          f"(first on line {seen[record.code]})"))
            else:
                seen[record.code] = line
                records.append(record)
        errors.extend(row_errors)
    if errors:
        raise ImportRejected(errors, source)
    if not records:
        raise ImportRejected([LineError(None, "file", "no rows")], source)
    return fmt, records


def parse_file(path: Path | str) -> tuple[str, list[EntityRecord]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ImportRejected([LineError(None, "file", f"not UTF-8 text: {exc}")], str(path)) from None
    return parse_text(text, str(path))


# field readers -------------------------------------------------------------------
def _int(row, name, line, errors, required=False) -> int | None:
    raw = row.get(name, "")
    if raw == "":
        if required:
            errors.append(LineError(line, name, "required"))
        return None
    if not raw.isdecimal():
        errors.append(LineError(line, name, f"not a non-negative whole number: {raw!r}"))
        return None
    return int(raw)


def _coordinate(row, name, line, errors, low, high) -> float | None:
    raw = row.get(name, "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(LineError(line, name, f"not a number: {raw!r}"))
        return None
    if not low <= value <= high:
        errors.append(LineError(line, name, f"{value} is outside {low}..{high}"))
        return None
    return value


def _text(row, name, line, errors, max_length=200) -> str:
    value = row.get(name, "")
    if not value:
        errors.append(LineError(line, name, "required"))
    elif len(value) > max_length:
        errors.append(LineError(line, name, f"longer than {max_length} characters"))
    return value


def _lat_lon(row, line, errors, lat_name="lat", lon_name="lon"):
    lat = _coordinate(row, lat_name, line, errors, -90, 90)
    lon = _coordinate(row, lon_name, line, errors, -180, 180)
    if (row.get(lat_name, "") == "") != (row.get(lon_name, "") == ""):
        errors.append(LineError(line, lat_name, f"give both {lat_name} and {lon_name}, or neither"))
    return lat, lon


# the three formats ------------------------------------------------------------------
def _comune(row: dict, line: int, errors: list[LineError]) -> EntityRecord | None:
    code = row.get("codice_istat", "")
    if not COMUNE_CODE.match(code):
        errors.append(LineError(line, "codice_istat", f"not a 6-digit ISTAT code: {code!r}"))
    name = _text(row, "denominazione", line, errors)
    region = _text(row, "regione", line, errors)
    sigla = row.get("sigla_provincia", "")
    if not SIGLA.match(sigla):
        errors.append(LineError(line, "sigla_provincia", f"not a two-letter sigla: {sigla!r}"))
    figures = {}
    census = _int(row, "popolazione_censimento_2011", line, errors)
    if census is not None:
        figures[CENSUS_2011] = census
    latest = _int(row, "popolazione_2023", line, errors)
    if latest is not None:
        figures[RESIDENT_2023] = latest
    lat, lon = _lat_lon(row, line, errors, "lat_punto_interno", "lon_punto_interno")
    if row.get("capoluogo", "") not in ("0", "1"):
        errors.append(LineError(line, "capoluogo", f"must be 0 or 1: {row.get('capoluogo')!r}"))
    if errors:
        return None
    extra = {
        "name_it": row["denominazione_it"] or name,
        "name_other_language": row["denominazione_altra_lingua"] or None,
        "codice_catastale": row["codice_catastale"] or None,
        "region_code": row["codice_regione"] or None,
        "uts_code": f"UTS-{row['codice_uts']}" if row["codice_uts"] else None,
        "uts_name": row["denominazione_uts"] or None,
        "capoluogo": row["capoluogo"] == "1",
        "source": "istat",
    }
    previous = row.get("codice_istat_pre_2025", "")
    if previous and previous != code:
        extra["code_before_2025"] = previous
    return EntityRecord(code=code, name=name, kind="comune", region=region, province=sigla,
                        lat=lat, lon=lon, figures=figures, extra=extra)


def _uts(row: dict, line: int, errors: list[LineError]) -> EntityRecord | None:
    code = row.get("codice_uts", "")
    if not re.match(r"^\d{3}$", code):
        errors.append(LineError(line, "codice_uts", f"not a 3-digit ISTAT unit code: {code!r}"))
    name = _text(row, "denominazione_uts", line, errors)
    region = _text(row, "regione", line, errors)
    kind = UTS_KINDS.get(row.get("tipologia_uts_codice", ""))
    if kind is None:
        errors.append(LineError(line, "tipologia_uts_codice",
                                f"must be 1-5: {row.get('tipologia_uts_codice')!r}"))
    sigle = [s for s in row.get("sigle_provincia", "").split("|") if s]
    if not sigle or not all(SIGLA.match(s) for s in sigle):
        errors.append(LineError(line, "sigle_provincia",
                                f"not two-letter sigle: {row.get('sigle_provincia')!r}"))
    members = _int(row, "numero_comuni", line, errors, required=True)
    figures = {}
    for column, when in (("popolazione_censimento_2011", CENSUS_2011),
                         ("popolazione_2023", RESIDENT_2023)):
        value = _int(row, column, line, errors)
        if value is not None:
            figures[when] = value
    if errors:
        return None
    return EntityRecord(code=f"UTS-{code}", name=kind[1].format(name), kind=kind[0],
                        region=region, province=sigle[0], figures=figures,
                        extra={"uts_code": f"UTS-{code}", "uts_name": name,
                               "number_of_comuni": members, "source": "istat"})


def body_record(row: dict, line: int | None, errors: list[LineError]) -> EntityRecord | None:
    """A supra-municipal body from the operators' format (a CSV row or the
    JSON of the ops API, as strings)."""
    code = row.get("code", "")
    if COMUNE_CODE.match(code):
        errors.append(LineError(line, "code", "6-digit codes belong to comuni (ISTAT)"))
    elif not BODY_CODE.match(code):
        errors.append(LineError(line, "code", "expected PREFIX-ID, e.g. IPA-ucvalsesia "
                                              f"or UTS-201: {code!r}"))
    name = _text(row, "name", line, errors)
    kind = row.get("kind", "")
    if kind not in BODY_KINDS:
        errors.append(LineError(line, "kind", f"must be one of {', '.join(BODY_KINDS)}: {kind!r}"))
    region = _text(row, "region", line, errors, max_length=60)
    province = row.get("province", "") or None
    if province is not None and not SIGLA.match(province):
        errors.append(LineError(line, "province", f"not a two-letter sigla: {province!r}"))
    figures = {}
    population = _int(row, "population", line, errors)
    when = row.get("population_date", "")
    if population is not None:
        try:
            figures[date.fromisoformat(when).isoformat()] = population
        except ValueError:
            errors.append(LineError(line, "population_date",
                                    f"a population needs its date as YYYY-MM-DD: {when!r}"))
    lat, lon = _lat_lon(row, line, errors)
    members = [m for m in row.get("members", "").replace(",", "|").split("|") if m.strip()]
    members = [m.strip() for m in members]
    bad = [m for m in members if not COMUNE_CODE.match(m)]
    if bad:
        errors.append(LineError(line, "members", "not 6-digit ISTAT codes: " + ", ".join(bad)))
    seat = row.get("seat", "") or None
    if seat is not None and not COMUNE_CODE.match(seat):
        errors.append(LineError(line, "seat", f"not a 6-digit ISTAT code: {seat!r}"))
    if errors:
        return None
    extra = {"source": "operator"}
    if members:
        extra["members"] = sorted(set(members))
    if seat:
        extra["seat"] = seat
    return EntityRecord(code=code, name=name, kind=kind, region=region, province=province,
                        lat=lat, lon=lon, figures=figures, extra=extra)


def _body_row(row, line, errors):
    return body_record(row, line, errors)
