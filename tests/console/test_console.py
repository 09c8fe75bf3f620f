"""The console over HTTP (no browser): sign-in, roles, CSRF, the office's
actions reaching the services, and the audit log."""
from __future__ import annotations

import csv
import io
import re

import pytest

from console import users
from console.gateway import ServiceError

from .platform import PASSWORD, wait_until


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(platform, username="ufficio", password=PASSWORD):
    response = platform.client.post("/ops/accesso", data={"username": username,
                                                          "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return _csrf(platform.client.get("/ops/").get_data(as_text=True))


def _audit(platform) -> list[dict]:
    from console import audit
    rows, _ = audit.entries(platform.system.runtimes["console"])
    return rows


def test_pages_need_a_login_and_a_wrong_password_is_refused_in_italian(platform):
    response = platform.client.get("/ops/adesioni?q=forl")
    assert response.status_code == 302
    assert "/ops/accesso?next=/ops/adesioni" in response.headers["Location"]
    refused = platform.client.post("/ops/accesso", data={"username": "ufficio",
                                                         "password": "sbagliata"})
    assert refused.status_code == 401
    assert "Nome utente o password non corretti." in refused.get_data(as_text=True)
    unknown = platform.client.post("/ops/accesso", data={"username": "nessuno",
                                                         "password": "sbagliata"})
    assert "Nome utente o password non corretti." in unknown.get_data(as_text=True)
    back = platform.client.post("/ops/accesso?next=/ops/adesioni",
                                data={"username": "ufficio", "password": PASSWORD})
    assert back.status_code == 302 and back.headers["Location"].endswith("/ops/adesioni")
    assert [r["action"] for r in _audit(platform)][:3] == ["login", "login-refused",
                                                           "login-refused"]


def test_five_failures_lock_the_account_for_a_while(platform):
    for _ in range(5):
        platform.client.post("/ops/accesso", data={"username": "ufficio", "password": "no"})
    locked = platform.client.post("/ops/accesso", data={"username": "ufficio",
                                                        "password": PASSWORD})
    assert locked.status_code == 401, "the right password must not open a locked account"
    assert "resta bloccato per 15 minuti" in locked.get_data(as_text=True)
    unknown = platform.client.post("/ops/accesso", data={"username": "nessuno",
                                                         "password": PASSWORD})
    alert = re.compile(r'id="login-error">([^<]+)<')
    assert alert.search(unknown.get_data(as_text=True)).group(1) == \
        alert.search(locked.get_data(as_text=True)).group(1)


def test_logging_out_ends_the_session_on_every_browser_and_a_new_password_too(platform):
    from werkzeug.test import Client
    csrf = _login(platform)
    copied = Client(platform.system.wsgi())
    cookie = platform.client.get_cookie("coalizione_ops", path="/ops")
    copied.set_cookie("coalizione_ops", cookie.value, path="/ops")
    assert copied.get("/ops/").status_code == 200, "the copied cookie works while signed in"
    out = platform.client.post("/ops/uscita", data={"csrf_token": csrf})
    assert out.status_code == 302
    assert copied.get("/ops/").status_code == 302, "the copied cookie is over too"
    [logout] = [r for r in _audit(platform) if r["action"] == "logout"]
    [login] = [r for r in _audit(platform) if r["action"] == "login"]
    assert logout["client"] == login["client"], "the logout names the client as the login does"
    _login(platform)
    assert platform.client.get("/ops/").status_code == 200, "a new login works at once"
    users.set_password(platform.system.runtimes["console"], "ufficio", PASSWORD + "-nuova")
    assert platform.client.get("/ops/").status_code == 302
    _login(platform, password=PASSWORD + "-nuova")


def test_a_post_without_the_csrf_token_is_refused(platform):
    _login(platform)
    response = platform.client.post("/ops/attestati", data={})
    assert response.status_code == 400
    assert "Modulo scaduto" in response.get_data(as_text=True)
    page = platform.client.post("/ops/attestati", data={}, headers={"Accept": "text/html"})
    text = page.get_data(as_text=True)
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Modulo scaduto o non valido" in text and 'href="/ops/"' in text


def test_a_viewer_reads_but_cannot_change(planned):
    platform, body, session_id = planned
    users.create_user(platform.system.runtimes["console"], "lettore", PASSWORD, "viewer")
    csrf = _login(platform, "lettore")
    page = platform.client.get(f"/ops/piano/{session_id}").get_data(as_text=True)
    assert "Persona 0" in page and "Salva le presenze" not in page
    ids = platform.participant_ids(session_id)
    refused = platform.client.post(f"/ops/piano/{session_id}/presenze", data={
        "csrf_token": csrf, "participant_id": ids, "present": ids})
    assert refused.status_code == 403
    status, register = platform.api("GET", f"/api/scheduling/v1/sessions/{session_id}/attendance")
    assert register["present"] == 0, register
    assert platform.client.get("/ops/registro-accessi").status_code == 403
    # the services themselves refuse a change asked in a viewer's name
    gateway = platform.system.runtimes["console"].gateway
    with pytest.raises(ServiceError) as refused_by_service:
        gateway.call("PUT", "scheduling", f"/sessions/{session_id}/attendance", role="viewer",
                     body={"records": [{"participant_id": ids[0], "present": True}]})
    assert refused_by_service.value.status == 403


def test_adhesions_are_filtered_exported_and_every_look_is_audited(platform):
    first = platform.enrol(platform.new_body(region="Lombardia", province="MI"))
    second = platform.enrol(platform.new_body(region="Puglia", province="BA",
                                              kind="comunita_montana"))
    _login(platform)
    page = platform.client.get("/ops/adesioni?region=Lombardia").get_data(as_text=True)
    assert first.name in page and second.name not in page
    page = platform.client.get(f"/ops/adesioni?q={second.name.split()[-1]}").get_data(as_text=True)
    assert second.name in page and first.name not in page
    page = platform.client.get("/ops/adesioni?kind=comunita_montana").get_data(as_text=True)
    assert second.name in page and first.name not in page
    export = platform.client.get("/ops/adesioni/esporta.csv?region=Puglia")
    assert export.status_code == 200
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["entity_code"] for r in rows] == [second.code]
    xlsx = platform.client.get("/ops/adesioni/esporta.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    detail = platform.client.get(f"/ops/adesioni/{first.adhesion_id}").get_data(as_text=True)
    assert first.participants[0]["email"] in detail
    actions = [(r["actor"], r["action"]) for r in _audit(platform)]
    for action in ("view-adhesions", "export-adhesions", "view-adhesion"):
        assert ("ufficio", action) in actions
    assert any(r["action"] == "export-adhesions" and r["detail"]["format"] == "xlsx"
               for r in _audit(platform))


def test_attendance_certificates_and_their_verification(planned):
    platform, body, session_id = planned
    csrf = _login(platform)
    register = platform.client.get(f"/ops/piano/{session_id}/registro.pdf")
    assert register.status_code == 200 and register.data.startswith(b"%PDF")
    ids = platform.participant_ids(session_id)
    assert len(ids) == 2
    saved = platform.client.post(f"/ops/piano/{session_id}/presenze", data={
        "csrf_token": csrf, "participant_id": ids, "present": ids[:1]})
    assert saved.status_code == 302
    status, marked = platform.api("GET", f"/api/scheduling/v1/sessions/{session_id}/attendance")
    assert (marked["present"], marked["absent"]) == (1, 1), marked

    issued = platform.client.post(f"/ops/piano/{session_id}/attestati", data={"csrf_token": csrf},
                                  follow_redirects=True).get_data(as_text=True)
    assert "Attestati emessi: 1" in issued
    status, found = platform.api("GET", f"/api/scheduling/v1/certificates?session_id={session_id}")
    [certificate] = found["items"]
    assert certificate["participant_id"] == ids[0]
    again = platform.client.post(f"/ops/piano/{session_id}/attestati", data={"csrf_token": csrf},
                                 follow_redirects=True).get_data(as_text=True)
    assert "Attestati emessi: 0; già emessi in precedenza: 1" in again

    verified = platform.client.get(f"/verifica/{certificate['code']}")
    assert verified.status_code == 200
    text = verified.get_data(as_text=True)
    assert "Attestato valido" in text and certificate["holder_name"] in text
    assert platform.client.get("/verifica/AAAA-BBBB-CCCC").status_code == 404

    present = next(p for p in body.participants if p["name"] == certificate["holder_name"])
    mails = wait_until(lambda: [m for m in platform.mails_to(present["email"])
                                if any((part.get_filename() or "").startswith("attestato-")
                                       for part in m.walk())], 30)
    assert len(mails) == 1, "the certificate did not arrive exactly once"
    assert certificate["code"] in platform.text(mails[0])
    actions = [r["action"] for r in _audit(platform)]
    assert {"mark-attendance", "issue-certificates", "download-register"} <= set(actions)

    corrected = platform.client.post(f"/ops/piano/{session_id}/presenze", data={
        "csrf_token": csrf, "participant_id": ids, "present": []})
    assert corrected.status_code == 302
    page = platform.client.get(f"/ops/piano/{session_id}").get_data(as_text=True)
    assert "revocato il" in page and "presenza corretta" in page
    revoked = platform.client.get(f"/verifica/{certificate['code']}").get_data(as_text=True)
    assert "Attestato revocato" in revoked and "Attestato valido" not in revoked


def test_every_console_page_renders(planned):
    platform, _, session_id = planned
    _login(platform)
    for path in ("/ops/", "/ops/adesioni", "/ops/piano", f"/ops/piano/{session_id}",
                 "/ops/attestati", "/ops/invii", "/ops/invii?state=all", "/ops/code-errori",
                 "/ops/indicatori", "/ops/privacy", "/ops/registro-accessi"):
        response = platform.client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, (path, page[:500])
        assert 'class="alert alert-danger"' not in page, (path, page)
    dashboard = platform.client.get("/ops/").get_data(as_text=True)
    assert "<svg" in dashboard and "scadenza 30/06/2017" in dashboard
    trail = platform.client.get("/ops/registro-accessi").get_data(as_text=True)
    assert "<td>Accesso</td>" in trail and "<td>Operatore</td>" in trail
    assert "<td>login</td>" not in trail
    only = platform.client.get("/ops/registro-accessi?action=login").get_data(as_text=True)
    assert '<option value="login" selected>Accesso</option>' in only
    for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        response = platform.client.get(f"/ops/indicatori.{fmt}")
        assert response.status_code == 200 and response.data.startswith(magic), fmt
    missing = platform.client.get("/ops/adesioni/00000000-0000-0000-0000-000000000000")
    text = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Adesione non trovata" in text
    assert 'class="alert alert-danger"' not in text, "said once, not also as an error"
    gateway = platform.system.runtimes["console"].gateway
    real = gateway.call

    def unreachable(method, service, path, **kwargs):
        if service == "scheduling":
            from console.gateway import ServiceError
            raise ServiceError(service, 0, {"title": "down", "detail": "connection refused"})
        return real(method, service, path, **kwargs)

    gateway.call = unreachable
    try:
        down = platform.client.get(f"/ops/piano/{session_id}")
    finally:
        gateway.call = real
    assert down.status_code == 502 and "non risponde" in down.get_data(as_text=True)
