"""Screen sizes and what a person sees in the first screen of a page, for the browser tests."""

PHONE = {"width": 390, "height": 844}  # a common phone (the measure)
DESKTOP = {"width": 1280, "height": 900}


def log_in_as(page, live_server, user):
    """Logs the tab in as this user without the login form (a session made by Django's test client)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": live_server.url,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def assert_in_first_screen(page, locator, what="the page's heading"):
    """The element is visible without scrolling: inside the viewport while the page is at its top."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()
    assert page.evaluate("window.scrollY") == 0, f"{page.url}: the page is scrolled"
    box, height = locator.bounding_box(), page.viewport_size["height"]
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= height, \
        f"{page.url}: {what} is at y={box and box['y']:.0f}, below the first screen ({height} px)"


def assert_heading_in_first_screen(page):
    """The main content's first heading (h1 or h2) is in the first screen."""
    assert_in_first_screen(page, page.locator("main h1, main h2").first)


def assert_no_sideways_scroll(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{page.url} is wider than {width} px"
