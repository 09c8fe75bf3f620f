"""The Scheda in a real browser (Playwright driving Debian's chromium) on
the embedded process: typeahead from the registry, one mistake, review,
next steps."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.support.backbone import wait_for
from tests.support.browser import chromium_page
from tests.support.services import embedded_environ

from .builders import outbox, registry_subset
from .conftest import WINDOW

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path, monkeypatch):
    """The embedded process on a free loopback port; its registry holds the
    comuni whose names start with Forl, Bologna or Cesena."""
    from coalizione_embedded.system import build_system
    from registry import handlers as registry_handlers
    # build_system hands the registry's prepare() no environ, so it reads
    # REGISTRY_SEED from the process environment.
    monkeypatch.setenv("REGISTRY_SEED", "0")
    system = build_system(embedded_environ(tmp_path, REGISTRY_SEED="0", COALIZIONE_NOW=WINDOW))
    registry_handlers.import_files(system.runtimes["registry"], [registry_subset(tmp_path)])
    system.start()
    enrolment = system.runtimes["enrolment"]

    def replicated():
        with enrolment.engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM entities WHERE code = '040012'")).scalar()
    assert wait_for(replicated, timeout=30)
    server = make_server("127.0.0.1", 0, system.wsgi(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", system
    server.shutdown()
    thread.join(timeout=10)
    system.shutdown()


@pytest.fixture
def page():
    with chromium_page() as page:
        yield page


def test_a_user_picks_forli_fixes_one_mistake_and_sends(served, page):
    from playwright.sync_api import expect
    base, system = served
    page.goto(base + "/")
    expect(page.locator(".simulated")).to_contain_text("Data simulata: 20 giugno 2017")

    page.locator("#ente").press_sequentially("forl", delay=40)
    option = page.get_by_role("option", name="Forlì (FC)")
    expect(option).to_be_visible()
    page.locator("#ente").press("ArrowDown")
    expect(page.locator("#ente")).to_have_attribute("aria-activedescendant", "ente-opt-0")
    expect(page.locator("#ente-opt-0")).to_contain_text("Forlì (FC)")
    page.locator("#ente").press("Enter")
    expect(page.locator("#ente")).to_have_value("Forlì (FC)")
    expect(page.locator("#ente-status")).to_contain_text("può aderire")
    expect(page.locator("#entity_code")).to_have_value("040012")

    page.get_by_label("Nome e cognome").first.fill("Maria Rossi")
    page.locator("#contact_role").select_option("dirigente")
    page.locator("#contact_email").fill("maria.rossi@comune.forli.fc.it")
    page.locator("#contact_phone").fill("0543 712111")
    page.locator("#p-0-name").fill("Luca Bianchi")
    page.locator("#p-0-role").select_option("funzionario")
    page.locator("#p-0-email").fill("luca.bianchi@comune.forli.fc.it")
    page.locator("#p-0-office").fill("Servizi sociali")
    page.get_by_role("button", name="Aggiungi partecipante").click()
    expect(page.locator("#p-1-name")).to_be_focused()
    expect(page.locator("#p-0-name")).to_have_value("Luca Bianchi")
    page.locator("#p-1-name").fill("Anna Verdi")
    page.locator("#p-1-role").select_option("amministratore")
    page.locator("#p-1-email").fill("anna.verdi@")          # the mistake
    page.locator("#p-1-office").fill("Giunta")
    page.get_by_label("Minori stranieri non accompagnati").check()
    page.get_by_label("Dichiaro di aver letto l'informativa").check()
    page.get_by_role("button", name="Continua: rivedi i dati").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("C'è un errore da correggere")
    error = page.locator("#p-1-email-error")
    expect(error).to_contain_text("Indirizzo e-mail non valido")
    expect(page.locator("#p-1-email")).to_have_attribute("aria-describedby", "p-1-email-error")
    expect(page.locator("#p-1-email")).to_have_value("anna.verdi@")
    for selector, value in (("#contact_name", "Maria Rossi"), ("#p-0-office", "Servizi sociali"),
                            ("#p-1-name", "Anna Verdi"), ("#entity_code", "040012"),
                            ("#ente", "Forlì (FC)")):
        expect(page.locator(selector)).to_have_value(value)
    expect(page.get_by_label("Minori stranieri non accompagnati")).to_be_checked()
    expect(page.get_by_label("Dichiaro di aver letto l'informativa")).to_be_checked()

    summary.get_by_role("link").click()
    expect(page.locator("#p-1-email")).to_be_focused()
    page.locator("#p-1-email").fill("anna.verdi@comune.forli.fc.it")
    page.keyboard.press("Enter")                             # the form's default action

    expect(page.get_by_role("heading", level=1)).to_have_text("Riepilogo della scheda di adesione")
    expect(page.locator("main")).to_contain_text("Forlì (FC, Emilia-Romagna)")
    expect(page.locator("main")).to_contain_text("anna.verdi@comune.forli.fc.it")
    assert outbox(system.runtimes["enrolment"], "adhesion.") == []
    page.get_by_role("button", name="Invia l'adesione").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Adesione inviata")
    expect(page.locator("main")).to_contain_text("Cosa succede ora")
    expect(page.locator("main")).to_contain_text("maria.rossi@comune.forli.fc.it")
    submitted = outbox(system.runtimes["enrolment"], "adhesion.submitted")
    assert [e["data"]["entity"]["code"] for e in submitted] == ["040012"]
    assert submitted[0]["data"]["participants_by_role"] == {
        "amministratore": 1, "dirigente": 0, "funzionario": 1}


def test_the_typeahead_falls_back_to_the_enrolment_replica(served, page):
    from playwright.sync_api import expect
    base, _ = served
    page.route("**/api/registry/v1/entities*", lambda route: route.abort())
    page.goto(base + "/")
    page.locator("#ente").press_sequentially("cesen", delay=40)
    expect(page.get_by_role("option", name="Cesena (FC)")).to_be_visible()
    page.get_by_role("option", name="Cesena (FC)").click()
    expect(page.locator("#entity_code")).to_have_value("040007")
    expect(page.locator("#ente-status")).to_contain_text("può aderire")


def test_every_control_is_labelled_and_focus_is_visible(served, page):
    base, _ = served
    page.goto(base + "/")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter(el => el.type !== 'hidden' && !el.closest('[aria-hidden=true]'))
        .filter(el => el.tagName === 'BUTTON' ? !el.textContent.trim()
                      : !(el.labels && el.labels.length))
        .map(el => el.id || el.name)""")
    assert unlabelled == []
    order = []
    for _ in range(4):                    # skip link, the brand, then the form
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id || "
                                   "document.activeElement.textContent.trim()"))
    assert order[0] == "Vai al contenuto" and "ente" in order
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
