"""Signing in and out."""
from __future__ import annotations

from flask import g, redirect, render_template, request, session, url_for

from .. import audit, users
from .guard import bp, runtime, start_session


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/ops") and not target.startswith("//"):
        return target
    return url_for("ops.dashboard")


@bp.route("/accesso", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            error = "Inserisci nome utente e password."
        else:
            try:
                user = users.authenticate(runtime(), username, password)
            except users.LoginRefused as exc:
                error = str(exc)
                audit.record(runtime(), actor=username.lower()[:80], role="-",
                             action="login-refused", target="console",
                             request_id=g.get("request_id"), client=request.remote_addr)
            else:
                start_session(user)
                audit.record(runtime(), actor=user.username, role=user.role, action="login",
                             target="console", request_id=g.get("request_id"),
                             client=request.remote_addr)
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username), status


@bp.post("/uscita")
def logout():
    if g.get("user"):
        audit.record(runtime(), actor=g.user.username, role=g.user.role, action="logout",
                     target="console", request_id=g.get("request_id"),
                     client=request.remote_addr)
        users.end_sessions(runtime(), g.user.username)  # a copied cookie is over too
    session.clear()
    return redirect(url_for("ops.login"))
