"""The public Scheda di adesione without JavaScript: plain form posts
through the Flask test client."""
from __future__ import annotations

import re
from html import unescape


from .builders import outbox
from .test_api import confirm_token_of, move_clock, submit


def csrf(client, path="/"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def filled(**overrides) -> dict:
    form = {"ente": "Forlì", "contact_name": "Maria Rossi", "contact_role": "dirigente",
            "contact_email": "maria.rossi@comune.forli.fc.it", "contact_phone": "0543 712111",
            "p-0-name": "Luca Bianchi", "p-0-role": "funzionario",
            "p-0-email": "luca.bianchi@comune.forli.fc.it", "p-0-office": "Servizi sociali",
            "p-1-name": "Anna Verdi", "p-1-role": "amministratore",
            "p-1-email": "anna.verdi@comune.forli.fc.it", "p-1-office": "Giunta",
            "topics": ["msna", "politiche-abitative"], "privacy": "1", "action": "review"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def post(client, form, path="/"):
    return client.post(path, data=dict(form, csrf_token=csrf(client)))


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def value_of(html: str, name: str) -> str | None:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def test_the_form_is_in_italian_and_shows_the_simulated_date(client):
    page = text(client.get("/"))
    assert '<html lang="it">' in page
    assert "Scheda di adesione" in page
    assert "Data simulata:" in page and "20 giugno 2017, ore 09:00" in page
    assert "compito di interesse pubblico" in page and "non si basa sul consenso" in page
    for topic in ("Minori stranieri non accompagnati", "Politiche abitative"):
        assert topic in page
    assert 'for="p-0-email"' in page and "<legend>Partecipante n. 1</legend>" in page


def test_without_a_pinned_clock_there_is_no_simulated_date(tmp_path):
    from enrolment.app import create_app
    from tests.support.services import build_service
    runtime = build_service("enrolment", tmp_path)
    assert "Data simulata" not in text(create_app(runtime).test_client().get("/"))


def test_every_asset_comes_from_the_service_itself(client):
    page = text(client.get("/"))
    for url in re.findall(r'(?:src|href)="([^"#]+)"', page):
        assert url.startswith("/") or url.startswith("data:"), url
    css = client.get("/static/enrolment/scheda.css")
    assert css.status_code == 200 and "Titillium Web" in css.get_data(as_text=True)
    font = client.get("/static/enrolment/fonts/titillium-web-v10-latin-ext_latin-regular.woff2")
    assert font.status_code == 200
    assert client.get("/static/enrolment/fonts/OFL.txt").status_code == 200
    assert client.get("/static/enrolment/scheda.js").status_code == 200


def test_review_then_send_then_next_steps(client, runtime):
    review = post(client, filled())
    assert review.status_code == 200
    page = text(review)
    assert "Riepilogo" in page and "Forlì (FC, Emilia-Romagna)" in page
    assert "Anna Verdi" in page and "Politiche abitative" in page
    assert outbox(runtime, "adhesion.") == []
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form = {k: unescape(v) for k, v in hidden.items() if k != "topics"}
    form["topics"] = re.findall(r'name="topics" value="([^"]+)"', page)
    form["action"] = "submit"
    sent = client.post("/", data=form)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/adesione/inviata")
    done = text(client.get("/adesione/inviata"))
    assert "Adesione inviata" in done and "Cosa succede ora" in done
    assert "maria.rossi@comune.forli.fc.it" in done
    assert "valido fino al 27 giugno 2017, ore" in done  # a week after 20 June, 09:00
    event = outbox(runtime, "adhesion.submitted")[0]["data"]
    assert event["entity"]["code"] == "040012"
    assert event["participants_by_role"] == {"amministratore": 1, "dirigente": 0, "funzionario": 1}
    assert event["webinar_topics"] == ["msna", "politiche-abitative"]


def test_an_error_is_shown_beside_its_field_and_everything_typed_is_kept(client, runtime):
    r = post(client, filled(**{"p-1-email": "anna.verdi@", "contact_phone": "0543 712111"}))
    assert r.status_code == 422
    page = text(r)
    assert 'id="error-summary"' in page and 'href="#p-1-email"' in page
    assert 'id="p-1-email-error"' in page and "Indirizzo e-mail non valido" in page
    assert re.search(r'id="p-1-email"[^>]*aria-describedby="p-1-email-error"', page)
    assert re.search(r'id="p-1-email"[^>]*aria-invalid="true"', page)
    assert value_of(page, "p-1-email") == "anna.verdi@"
    assert value_of(page, "contact_name") == "Maria Rossi"
    assert value_of(page, "p-0-office") == "Servizi sociali"
    assert 'value="msna" checked' in page and 'id="privacy" name="privacy" value="1" checked' in page
    assert value_of(page, "entity_code") == "040012"
    assert outbox(runtime, "adhesion.") == []


def test_the_error_summary_says_whose_field_each_error_is(client):
    r = post(client, filled(**{"p-1-email": "", "contact_email": "", "p-0-role": ""}))
    summary = text(r).split('id="error-summary"')[1].split("</div>")[0]
    assert "Referente, e-mail: Indica l'indirizzo e-mail." in summary
    assert "Partecipante n. 2, e-mail: Indica l'indirizzo e-mail." in summary
    assert "Partecipante n. 1, ruolo: Scegli il ruolo" in summary


def test_a_body_typed_as_the_form_writes_it_is_found_without_its_code(client):
    page = text(post(client, filled(ente="Forlì (FC)", entity_code="")))
    assert "Riepilogo" in page and "Forlì (FC, Emilia-Romagna) – codice 040012" in page


def test_a_body_without_province_or_region_shows_no_placeholder(client, runtime):
    from .builders import seed
    seed(runtime, [{"code": "X00001", "name": "Consorzio dei Servizi Sociali", "kind":
                    "consorzio_di_comuni", "province": None, "region": None, "population": 60000,
                    "eligible": True, "eligibility_reason": "ente sovracomunale"},
                   {"code": "X00002", "name": "Consorzio dei Servizi Scolastici", "kind":
                    "consorzio_di_comuni", "province": None, "region": "Lazio",
                    "population": 50000, "eligible": True,
                    "eligibility_reason": "ente sovracomunale"}])
    candidates = text(post(client, filled(ente="Consorzio dei Servizi", action="review")))
    assert "Consorzio dei Servizi Sociali – codice X00001" in candidates
    assert "Consorzio dei Servizi Scolastici (Lazio) – codice X00002" in candidates
    assert "None" not in candidates
    chosen = text(post(client, filled(ente="Consorzio dei Servizi Sociali")))
    assert "None" not in chosen and "Consorzio dei Servizi Sociali – codice X00001" in chosen


def test_adding_and_removing_participants_keeps_the_other_rows(client):
    added = text(post(client, filled(action="add")))
    assert "Partecipante n. 3" in added and value_of(added, "p-1-name") == "Anna Verdi"
    assert re.search(r'id="p-2-name"[^>]*autofocus', added)
    removed = text(post(client, filled(action="remove:0")))
    assert "Partecipante n. 2" not in removed
    assert value_of(removed, "p-0-name") == "Anna Verdi"
    assert "Partecipante n. 1 rimosso" in removed


def test_a_prefix_offers_the_matching_bodies_as_choices(client):
    page = text(post(client, filled(ente="forl")))
    assert "Nessun ente si chiama esattamente" in page
    assert 'name="entity_choice"' in page and "Forlimpopoli (FC" in page
    chosen = post(client, filled(ente="forl", entity_choice="040013"))
    assert "Riepilogo" in text(chosen) and "Forlimpopoli" in text(chosen)


def test_an_ambiguous_name_asks_which_one_and_shows_why_it_is_not_eligible(client):
    page = text(post(client, filled(ente="Samone")))
    assert "Ci sono più enti che si chiamano «Samone»" in page
    assert "Samone (TO, Piemonte)" in page and "Samone (TN," in page
    picked = text(post(client, filled(ente="Samone", entity_choice="001001")))
    assert "non può aderire" in picked and "sotto la soglia di 5.000" in picked


def test_an_istat_code_is_accepted_and_an_unknown_name_is_an_error(client):
    assert "Riepilogo" in text(post(client, filled(ente="040013")))
    page = text(post(client, filled(ente="Atlantide")))
    assert "Nessun ente trovato per «Atlantide»" in page and 'id="ente-error"' in page


def test_a_body_already_enrolled_is_told_without_the_other_contact(client):
    submit(client)
    page = text(post(client, filled(action="submit")))
    assert "ha già un'adesione" in page
    assert "maria.rossi@comune.forli.fc.it" in page  # what this user typed, kept
    assert page.count("maria.rossi@comune.forli.fc.it") == 1


def test_a_post_without_the_session_token_is_refused_but_keeps_the_data(client, runtime):
    r = client.post("/", data=filled(action="submit"))
    assert r.status_code == 400
    assert "La sessione è scaduta" in text(r)
    assert value_of(text(r), "p-1-name") == "Anna Verdi"
    assert outbox(runtime, "adhesion.") == []
    other = client.post("/", data=dict(filled(action="submit"), csrf_token="forged"))
    assert other.status_code == 400


def test_a_filled_honeypot_is_refused_and_the_form_comes_back_as_it_was(client, runtime):
    r = post(client, filled(action="submit", website="http://spam.example"))
    assert r.status_code == 400
    assert outbox(runtime, "adhesion.") == []
    page = text(r)
    assert "non è stata accettata" in page and value_of(page, "p-1-name") == "Anna Verdi"
    assert value_of(page, "website") in (None, "")
    again = post(client, filled(action="submit"))
    assert again.status_code == 303 and len(outbox(runtime, "adhesion.submitted")) == 1


def test_after_the_deadline_the_form_says_enrolment_is_closed(client, runtime):
    token = csrf(client)
    move_clock(runtime, "2017-07-01T00:00:01+02:00")
    page = text(client.get("/"))
    assert "Adesioni chiuse" in page and "30 giugno 2017" in page
    assert 'name="contact_name"' not in page
    r = client.post("/", data=dict(filled(action="submit"), csrf_token=token))
    assert r.status_code == 403 and outbox(runtime, "adhesion.") == []


def test_too_many_posts_get_the_form_back_with_what_was_typed_and_a_429(client, app, runtime):
    app.extensions["enrolment_rate_limiter"].limit = 1
    for _ in range(3):  # adding and removing rows write nothing and are not counted
        assert post(client, filled(action="add")).status_code == 200
    assert post(client, filled(action="remove:2")).status_code == 200
    assert post(client, filled(action="review")).status_code == 200
    r = post(client, filled(action="submit"))
    assert r.status_code == 429 and r.headers["Retry-After"]
    page = text(r)
    assert "troppe richieste" in page and value_of(page, "p-1-name") == "Anna Verdi"
    assert value_of(page, "contact_email") == filled()["contact_email"]
    assert outbox(runtime, "adhesion.") == []


def test_the_api_and_other_pages_still_get_a_429(client, app):
    app.extensions["enrolment_rate_limiter"].limit = 1
    post(client, filled(action="review"))
    r = client.post("/adesione/nuovo-link", data={"csrf_token": csrf(client), "entity_code": "1"})
    assert r.status_code == 429 and "Troppe richieste" in text(r)
    api = client.post("/api/enrolment/v1/adhesions", json={})
    assert api.status_code == 429 and api.mimetype == "application/problem+json"


# confirmation and manage pages ---------------------------------------------------------
def test_opening_the_confirmation_link_does_not_confirm_pressing_the_button_does(client, runtime):
    created = submit(client).json
    token = confirm_token_of(runtime, created["id"])
    url = f"/adesione/{created['id']}/conferma?token={token}"
    for _ in range(2):  # a mail scanner prefetching the link
        page = text(client.get(url))
        assert "Conferma l'adesione" in page and "Forlì" in page
    assert outbox(runtime, "adhesion.confirmed") == []
    done = client.post(f"/adesione/{created['id']}/conferma",
                       data={"token": token, "csrf_token": csrf(client, url)})
    assert "Adesione confermata" in text(done)
    assert len(outbox(runtime, "adhesion.confirmed")) == 1
    again = text(client.get(url))
    assert "già confermata" in again and 'name="token"' not in again


def test_a_wrong_confirmation_link_says_so(client):
    created = submit(client).json
    r = client.get(f"/adesione/{created['id']}/conferma?token=guess")
    assert r.status_code == 404 and "Link non valido" in text(r)


def test_the_manage_link_changes_and_withdraws(client, runtime):
    created = submit(client).json
    url = f"/adesione/{created['id']}?token={created['token']}"
    page = text(client.get(url))
    assert "in attesa di conferma" in page and value_of(page, "p-0-name") == "Persona 0"
    assert client.get(f"/adesione/{created['id']}?token=nope").status_code == 404
    token = csrf(client, url)
    form = {"csrf_token": token, "token": created["token"], "action": "save",
            "contact_name": "Maria Rossi", "contact_role": "dirigente",
            "contact_email": "maria.rossi@comune.forli.fc.it", "contact_phone": "0543 712111",
            "p-0-id": created["participants"][1]["id"], "p-0-name": "Persona 1",
            "p-0-role": "funzionario", "p-0-email": "persona1@comune.forli.fc.it",
            "p-0-office": "Anagrafe", "topics": ["msna"]}
    bad = client.post(f"/adesione/{created['id']}", data=dict(form, **{"p-0-email": "x"}))
    assert bad.status_code == 422 and 'id="p-0-email-error"' in text(bad)
    saved = client.post(f"/adesione/{created['id']}", data=form)
    assert "Modifiche salvate" in text(saved)
    roster = outbox(runtime, "roster.updated")[-1]["data"]
    assert [(p["id"], p["office"]) for p in roster["participants"]] == [
        (created["participants"][1]["id"], "Anagrafe")]
    unticked = client.post(f"/adesione/{created['id']}", data=dict(form, action="withdraw"))
    assert unticked.status_code == 422 and "Spunta la casella" in text(unticked)
    gone = client.post(f"/adesione/{created['id']}",
                       data=dict(form, action="withdraw", withdraw_confirm="1"))
    assert "L'adesione è stata ritirata" in text(gone) and "ritirata" in text(gone)
    assert len(outbox(runtime, "adhesion.withdrawn")) == 1


def test_the_manage_page_resends_the_confirmation_link(client, runtime):
    created = submit(client).json
    url = f"/adesione/{created['id']}?token={created['token']}"
    r = client.post(f"/adesione/{created['id']}", data={
        "csrf_token": csrf(client, url), "token": created["token"], "action": "resend"})
    assert "nuovo link di conferma" in text(r)
    assert outbox(runtime, "roster.updated")[-1]["data"]["reason"] == "confirmation_requested"


def test_the_next_steps_page_can_ask_for_the_link_again(client, runtime):
    submit(client)
    r = client.post("/adesione/nuovo-link", data={"csrf_token": csrf(client),
                                                  "entity_code": "040012"})
    assert "Richiesta ricevuta" in text(r)
    assert outbox(runtime, "roster.updated")[-1]["data"]["reason"] == "confirmation_requested"
    assert client.get("/adesione/inviata").status_code == 303


def test_the_privacy_notice_says_how_to_reach_the_controller_when_configured(tmp_path):
    import dataclasses
    from enrolment.app import create_app
    from tests.support.services import build_service
    runtime = build_service("enrolment", tmp_path, now="2017-06-20T09:00:00+02:00")
    plain = text(create_app(runtime).test_client().get("/"))
    assert "Titolare del trattamento" in plain and "Sono necessari per aderire" in plain
    assert "Responsabile della protezione dei dati" not in plain  # (the CSRF token may hold "RPD")
    runtime.enrolment = dataclasses.replace(
        runtime.enrolment, privacy_contact="Via dei Prefetti 46, Roma – privacy@anci.example",
        dpo_contact="rpd@anci.example")
    page = text(create_app(runtime).test_client().get("/"))
    assert "contatti: Via dei Prefetti 46, Roma – privacy@anci.example" in page
    assert "(RPD):</strong> rpd@anci.example" in page
    assert "scrivendo al titolare (Via dei Prefetti 46" in page
