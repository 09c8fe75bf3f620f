"""Service commands of ``python -m enrolment`` beyond the shared ones."""
from __future__ import annotations

import json


def commands(sub) -> dict:
    sub.add_parser("erase-expired", help="erase the personal data of every edition whose "
                                         "retention period is over (what the worker's "
                                         "retention job does every hour); prints the counts")
    return {"erase-expired": erase_expired}


def erase_expired(runtime, args) -> int:
    from .erasure import erase_expired as erase
    erased = erase(runtime)
    print(json.dumps({"adhesions": len(erased),
                      "people": sum(len(e.person_ids) for e in erased)}))
    return 0
