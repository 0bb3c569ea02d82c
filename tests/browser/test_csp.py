"""Content-Security-Policy and Permissions-Policy (issue 12, item 12): every page is sent with both,
and the pages a visitor opens run no inline script or style (the `page` fixture fails any browser
test on a violation Chromium reports; here we check that it does report them)."""
import pytest

from tests.browser.conftest import watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pages_carry_both_policies(page):
    response = page.goto("/accounts/login/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "camera=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/accounts/recover/"])
def test_public_pages_run_without_inline_code(page, path):
    page.goto(path)
    page.wait_for_load_state("load")
    # the language switch works without its former inline onchange handler
    if page.locator("#language-select").count():
        with page.expect_navigation():
            page.select_option("#language-select", "en")
        assert page.locator("html").get_attribute("lang") == "en"


def test_an_inline_style_or_script_would_be_refused_and_reported(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    tab = context.new_page()
    violations = watch_csp(tab)
    tab.goto("/accounts/login/")
    tab.evaluate("""() => document.body.insertAdjacentHTML('beforeend',
        '<div id="x" style="color: rgb(255, 0, 0)">x</div><img src="x" onerror="window.ran = 1">')""")
    tab.wait_for_timeout(300)
    assert tab.evaluate("() => getComputedStyle(document.getElementById('x')).color") != "rgb(255, 0, 0)"
    assert tab.evaluate("() => window.ran") is None
    context.close()
    assert violations, "Chromium reported no violation: the browser tests could not catch one"
