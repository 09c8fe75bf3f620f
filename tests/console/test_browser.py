"""The console in a real browser (Playwright driving Debian's chromium) on
the embedded platform: sign in, filter adhesions, export, mark attendance,
issue a certificate and verify it on the public page."""
from __future__ import annotations

import re

import pytest

from tests.support.browser import chromium_page

from .platform import PASSWORD, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    with chromium_page(accept_downloads=True) as page:
        yield page


def test_the_office_signs_in_filters_exports_marks_attendance_and_certifies(planned, page):
    from playwright.sync_api import expect
    platform, body, session_id = planned
    other = platform.enrol(platform.new_body(region="Sardegna", province="CA"))
    base = platform.serve()

    # sign in (a wrong password first)
    page.goto(base + "/ops/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accesso alla console")
    page.get_by_label("Nome utente").fill("ufficio")
    page.get_by_label("Password").fill("non-questa")
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("alert")).to_contain_text("Nome utente o password non corretti")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cruscotto")
    expect(page.locator("svg.chart").first).to_be_visible()

    # filter the adhesions
    page.get_by_role("link", name="Adesioni", exact=True).click()
    expect(page.locator("#adhesions")).to_contain_text(other.name)
    page.get_by_label("Ente", exact=True).fill(body.name.split()[-1])
    page.get_by_label("Regione").select_option("Emilia-Romagna")
    page.get_by_role("button", name="Filtra").click()
    expect(page.locator("#count")).to_have_text("1")
    expect(page.locator("#adhesions")).to_contain_text(body.name)
    expect(page.locator("#adhesions")).not_to_contain_text(other.name)

    # export what is shown
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = download.value
    assert saved.suggested_filename.endswith(".csv")
    exported = open(saved.path(), encoding="utf-8-sig").read()
    assert body.code in exported and other.code not in exported

    # the local day: mark one participant present
    page.get_by_role("link", name="Piano", exact=True).click()
    page.locator("#sessions a").first.click()
    expect(page.locator("#attendance")).to_contain_text(body.participants[0]["name"])
    page.get_by_label(body.participants[0]["name"]).check()
    page.get_by_role("button", name="Salva le presenze").click()
    expect(page.get_by_role("status")).to_contain_text("Presenze registrate: 1 presenti, 1 assenti")
    expect(page.get_by_label(body.participants[0]["name"])).to_be_checked()

    # issue the certificate, then verify it on the public page
    page.get_by_role("button", name="Emetti gli attestati dei presenti").click()
    expect(page.get_by_role("status")).to_contain_text("Attestati emessi: 1")
    link = page.locator("#certificates a.code")
    expect(link).to_have_count(1)
    code = link.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code), code
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attestato valido")
    expect(page.locator("main")).to_contain_text(body.participants[0]["name"])

    # anyone can type the code as they read it
    page.goto(base + "/verifica")
    page.get_by_label("Codice di verifica").fill(code.replace("-", "").lower())
    page.get_by_role("button", name="Verifica").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Attestato valido")

    # the participant gets the certificate by e-mail
    assert wait_until(lambda: [m for m in platform.mails_to(body.participants[0]["email"])
                               if code in platform.text(m)], 30)
