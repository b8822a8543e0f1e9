"""The playground's scenarios, run by clicking, and the pages the README shows."""

import pytest
from playwright.sync_api import Page, expect

from comparison.models import AuthSample
from tests.browser.helpers import screenshot

pytestmark = pytest.mark.django_db


def rows(page: Page, column: str) -> list[dict]:
    return page.eval_on_selector_all(
        f"#timeline tbody tr[data-column={column}]",
        "rows => rows.map(r => ({status: r.dataset.status, outcome: r.dataset.outcome,"
        " redis: r.cells[6].textContent, sql: r.cells[7].textContent,"
        " credential: r.cells[3].textContent}))",
    )


def last_outcome(lane: str, flush_samples) -> str:
    """How the server recorded the lane's latest request: the outcome the page may not show."""
    flush_samples()
    return AuthSample.objects.filter(lane=lane).order_by("-pk").values_list("outcome", flat=True)[0]


def run_scenario(page: Page, name: str, *, timeout: float = 30_000) -> None:
    page.get_by_role("button", name=name).click()
    expect(page.locator("body")).to_have_attribute("data-busy", "yes")
    expect(page.locator("body")).to_have_attribute("data-busy", "no", timeout=timeout)


def test_basic_flow_shows_a_lookup_per_session_request_and_none_per_jwt(page: Page) -> None:
    page.goto("/playground/")

    run_scenario(page, "Basic flow")

    session = [row for row in rows(page, "session") if row["outcome"] == "accepted"]
    jwt = [row for row in rows(page, "jwt") if row["outcome"] == "accepted"]
    assert len(session) == 3
    assert {(row["redis"], row["sql"]) for row in session} == {("1", "1")}
    assert {(row["redis"], row["sql"]) for row in jwt} == {("0", "0")}
    assert all(row["credential"].startswith("Authorization: Bearer eyJ") for row in jwt)
    expect(page.locator("#inspector-verify")).to_contain_text("valid")
    expect(page.locator("#inspector-payload")).to_contain_text('"username": "demo-')
    screenshot(page, "playground-basic-flow")


def test_revocation_test_locks_the_session_out_and_not_the_stateless_token(
    page: Page, flush_samples
):
    page.goto("/playground/")
    page.get_by_label("Verification lane").select_option("stateless")

    run_scenario(page, "Revocation test")

    session, jwt = rows(page, "session"), rows(page, "jwt")
    # A refusal's outcome stays on the server; the page shows the answer's code.
    assert [row["outcome"] for row in session][-2:] == ["accepted", "not_authenticated"]
    assert session[-1]["status"] == "403"
    assert last_outcome("session", flush_samples) == "not_found"
    assert [row["outcome"] for row in jwt][-2:] == ["accepted", "accepted"]
    admin = rows(page, "admin")
    assert admin[0]["outcome"].startswith("revoked: 1 session(s), 1 refresh token(s)")
    screenshot(page, "playground-revocation")


def test_revocation_test_with_the_denylist_lane_locks_both_out(page: Page, flush_samples) -> None:
    page.goto("/playground/")
    page.get_by_label("Verification lane").select_option("denylist")

    run_scenario(page, "Revocation test")

    assert rows(page, "jwt")[-1]["outcome"] == "token_revoked"
    assert last_outcome("denylist", flush_samples) == "revoked"


def test_expiration_is_real_and_rejects_for_different_reasons(page: Page, settings, flush_samples):
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 1
    page.goto("/playground/")

    run_scenario(page, "Expiration", timeout=30_000)

    session, jwt = rows(page, "session")[-1], rows(page, "jwt")[-1]
    # The browser dropped the expired session cookie; Redis dropped the key.
    assert session["outcome"] == "not_authenticated"
    assert last_outcome("session", flush_samples) == "missing"
    assert jwt["outcome"] == "token_expired"
    assert last_outcome("stateless", flush_samples) == "expired"
    assert jwt["status"] == "401"
    screenshot(page, "playground-expiration")


def test_role_change_shows_which_lanes_still_honour_the_removed_role(page: Page) -> None:
    page.goto("/playground/")

    run_scenario(page, "Role change")

    answers = page.eval_on_selector_all(
        "#role-table tbody tr",
        "rows => Object.fromEntries(rows.map(r => [r.dataset.lane,"
        " [r.querySelector('[data-phase=before]').dataset.answer,"
        " r.querySelector('[data-phase=after]').dataset.answer]]))",
    )
    assert answers == {
        "session": ["honoured", "refused"],
        "snapshot": ["honoured", "honoured"],
        "stateless": ["honoured", "honoured"],
        "lookup": ["honoured", "refused"],
        "denylist": ["honoured", "honoured"],
    }
    expect(page.locator("#role-table")).to_contain_text("refused (role_required)")
    assert [row["outcome"] for row in rows(page, "admin")][-1].endswith("no longer staff")
    screenshot(page, "playground-role-change")


def test_dashboard_and_guide_demonstrations_work_and_are_screenshotted(
    page: Page, flush_samples
) -> None:
    page.goto("/playground/")
    run_scenario(page, "Basic flow")
    flush_samples()

    # The playground's requests are the playground's, not live traffic.
    page.goto("/comparison/?source=playground")
    expect(page.get_by_role("heading", name="Per lane")).to_be_visible()
    expect(page.locator("svg.chart rect").first).to_be_visible()
    screenshot(page, "dashboard")
    page.goto("/guide/mistakes/")
    page.get_by_role("button", name="Send both forgeries").click()
    expect(page.locator("#forgery-result")).to_contain_text("alg-none: 401 token_bad_signature")
    expect(page.locator("#forgery-result")).to_contain_text("tampered: 401 token_bad_signature")
    screenshot(page, "guide-mistakes")
    page.goto("/guide/storage/")
    page.get_by_role("button", name="Run the demonstration").click()
    expect(page.locator("#storage-result")).to_contain_text("read it straight back")
    expect(page.locator("#storage-result")).to_contain_text("can see 0 cookie(s)")
    screenshot(page, "guide-storage")
