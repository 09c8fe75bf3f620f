"""Which body the form means, resolved against the local replica only:
the code picked in the typeahead, else an ISTAT code or a name typed in
the text field (the path without JavaScript)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import exists, select

from ..adapters import repository as repo
from ..adapters.orm import entities
from ..domain.text import fold


@dataclass
class Choice:
    entity: object | None = None
    error: str | None = None
    candidates: list = field(default_factory=list)


def label(entity) -> str:
    return f"{entity.name} ({entity.province})" if entity.province else entity.name


def place(entity) -> str:
    """``Forlì (FC, Emilia-Romagna)``, leaving out what the registry does
    not know (some bodies have no province)."""
    where = ", ".join(part for part in (entity.province, entity.region) if part)
    return f"{entity.name} ({where})" if where else entity.name


def resolve(connection, typed: str, code: str) -> Choice:
    if code:
        entity = repo.get_entity(connection, code)
        if entity is not None and (not typed or fold(typed) in (fold(label(entity)),
                                                                  fold(entity.name), code)):
            return Choice(entity)
    typed = typed.strip()
    if not typed:
        return Choice(error="Scrivi il nome o il codice ISTAT dell'ente e sceglilo dall'elenco.")
    exact_code = repo.get_entity(connection, typed)
    if exact_code is not None:
        return Choice(exact_code)
    # "Forlì (FC)", as the form itself writes a chosen body: the name is
    # searched, the whole compared.
    matches = repo.search_entities(connection, re.sub(r"\s*\([^()]*\)$", "", typed) or typed,
                                   limit=10)
    folded = fold(typed)
    same_name = [e for e in matches if folded in (e.search_name, fold(label(e)))]
    if len(same_name) == 1:
        return Choice(same_name[0])
    if len(same_name) > 1:
        return Choice(error=f"Ci sono più enti che si chiamano «{typed}»: scegli quello giusto.",
                      candidates=same_name)
    if matches:
        return Choice(error=f"Nessun ente si chiama esattamente «{typed}»: scegli tra questi o "
                            "correggi il nome.", candidates=matches)
    if not connection.execute(select(exists().where(entities.c.code.isnot(None)))).scalar():
        return Choice(error="L'elenco degli enti non è ancora disponibile: riprova tra qualche "
                            "minuto.")
    return Choice(error=f"Nessun ente trovato per «{typed}»: controlla il nome o usa il codice "
                        "ISTAT (6 cifre).")
