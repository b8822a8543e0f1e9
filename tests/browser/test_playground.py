"""The playground's scenarios, run by clicking, and the pages the README shows."""

import pytest
from playwright.sync_api import Browser, Page, expect

from comparison.models import AuthSample
from tests.browser.helpers import VIEWPORTS, outside_the_viewport, screenshot

pytestmark = pytest.mark.django_db


def rows(page: Page, column: str = "") -> list[dict]:
    selector = f"#timeline tbody tr[data-column={column}]" if column else "#timeline tbody tr"
    return page.eval_on_selector_all(
        selector,
        "rows => rows.map(r => ({status: r.dataset.status, outcome: r.dataset.outcome,"
        " seconds: parseFloat(r.cells[1].textContent), request: r.cells[3].textContent,"
        " credential: r.cells[4].textContent,"
        " redis: r.cells[7].textContent, sql: r.cells[8].textContent}))",
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
    expect(page.locator("#inspector-verify")).to_contain_text("Valid: signed with this site's key")
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


def click(page: Page, column: str, action: str) -> None:
    page.locator(f"button[data-column={column}][data-action={action}]").click()
    expect(page.locator("body")).to_have_attribute("data-busy", "no")


def test_every_row_names_what_it_sent_and_when(page: Page) -> None:
    page.goto("/playground/")

    run_scenario(page, "Basic flow")
    click(page, "jwt", "refresh")
    click(page, "jwt", "logout")

    timeline = rows(page)
    by_request = {row["request"]: row["credential"] for row in timeline}
    assert by_request["POST /api/jwt/token/verify/"].startswith("access token in the body: eyJ")
    assert by_request["POST /api/jwt/token/refresh/"].startswith("refresh token in the body: eyJ")
    assert by_request["POST /api/jwt/token/blacklist/"].startswith("refresh token in the body: eyJ")
    assert by_request["GET /api/session/me/"].startswith("Cookie: session id")
    assert "none" not in {row["credential"] for row in timeline}
    seconds = [row["seconds"] for row in timeline]
    assert seconds[0] < 1
    assert seconds == sorted(seconds)


def test_after_a_refresh_the_new_access_token_lives_as_long_as_the_page_says(page: Page) -> None:
    page.goto("/playground/")
    click(page, "jwt", "login")

    click(page, "jwt", "refresh")

    countdown = page.locator("#jwt-countdown").text_content()
    assert countdown.endswith(("seconds", "second")), countdown
    assert int(countdown.split()[0]) <= 30


def test_the_inspector_follows_the_token_the_page_holds(page: Page, settings) -> None:
    settings.COMPARISON_PLAYGROUND_CREDENTIAL_SECONDS = 2
    verdict = page.locator("#inspector-verify")
    page.goto("/playground/")
    page.get_by_label("Verification lane").select_option("denylist")

    click(page, "jwt", "login")
    expect(verdict).to_contain_text("Valid: signed with this site's key, not expired")
    expect(verdict).to_contain_text("Past its expiry time", timeout=5_000)
    expect(verdict).to_contain_text("Expired at", timeout=10_000)
    click(page, "jwt", "login")
    expect(verdict).to_contain_text("Valid")
    click(page, "both", "revoke")
    expect(verdict).to_contain_text("Revoked at")
    expect(verdict).to_contain_text("The denylist lane refuses it now")
    click(page, "jwt", "logout")
    expect(verdict).to_have_text(
        "This browser holds no access token: it logged out, and its refresh token was blacklisted."
    )
    expect(page.locator("#inspector-payload")).to_have_text("\N{EN DASH}")


def test_a_running_scenario_can_be_stopped_at_once(page: Page) -> None:
    page.goto("/playground/")
    page.get_by_role("button", name="Expiration").click()
    expect(page.locator("#scenario-note")).to_contain_text("Waiting for the session to expire")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()

    stop.click()

    expect(page.locator("body")).to_have_attribute("data-busy", "no", timeout=2_000)
    expect(page.locator("#scenario-note")).to_have_text("Stopped. Nothing else will be sent.")
    expect(page.get_by_role("button", name="Basic flow")).to_be_enabled()
    expect(stop).to_be_disabled()


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_timeline_shows_every_column_on_screen(browser: Browser, live_server, viewport: str):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.goto("/playground/")

    run_scenario(page, "Basic flow")

    assert outside_the_viewport(page) == []
    last = page.locator("#timeline tbody tr").last
    for heading in ("Status", "Outcome", "Redis", "SQL", "Auth µs"):
        cell = last.locator(f'td[data-label="{heading}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] >= 0, heading
        assert box["x"] + box["width"] <= VIEWPORTS[viewport]["width"], heading
    screenshot(page, f"playground-basic-flow-{viewport}")
    context.close()
