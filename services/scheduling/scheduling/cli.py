"""Service commands of ``python -m scheduling`` beyond the shared ones."""
from __future__ import annotations

import json

from sqlalchemy.orm import Session

from .domain.webinars import ROME


def commands(sub) -> dict:
    plan = sub.add_parser("plan", help="propose the local days and webinars (or --publish "
                                       "them); prints the plan's metrics as JSON")
    plan.add_argument("--publish", action="store_true", help="write the plan and its events")
    plan.add_argument("--open-days", action="store_true",
                      help="open new days for bodies of full regions")
    plan.add_argument("--move-told", action="store_true",
                      help="re-plan from scratch; only pinned bodies stay where they are")
    return {"plan": run_plan}


def run_plan(runtime, args) -> int:
    from . import handlers
    from .planning import propose
    with Session(runtime.engine) as db:
        if args.publish:
            with db.begin():
                proposal = handlers.publish(runtime, db, runtime.planning, args.open_days,
                                            args.move_told)
        else:
            proposal = propose(db, runtime.planning, runtime.clock.now().astimezone(ROME).date(),
                               args.open_days, args.move_told)
    print(json.dumps(proposal.metrics | {"published": args.publish,
                                        "waiting_list": len(proposal.waiting),
                                        "unplaceable": len(proposal.unplaceable)},
                     ensure_ascii=False))
    return 0
