"""Owners and staff use the client app end to end, through its screens only."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Server
from tests.e2e.web.conftest import FACILITY_TIMEZONE, Visit, app_config, facility_day

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000 0000 0000 0002"


def register(v: Visit, name: str, phone: str) -> None:
    v.heading("Welcome! Tell us about yourself")
    v.axe("registration")
    v.shot("register")
    page = v.page
    page.get_by_label("Name").fill(name)
    page.get_by_label("Phone").fill(phone)
    page.get_by_label("Street").fill("1 Main Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("State").fill("IL")
    page.get_by_label("ZIP code").fill("62701")
    page.get_by_role("button", name="Register").click()
    v.heading("Welcome back")
    v.axe("owner home")


def add_dog(v: Visit, name: str, needs: str, contact: str) -> None:
    v.nav("Dogs")
    v.heading("Your dogs")
    page = v.page
    page.get_by_role("link", name="Add a dog").click()
    v.heading("Add a dog")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Breed").fill("Labrador")
    page.get_by_label("Age (years)").fill("4")
    page.get_by_label("Size").select_option("large")
    for i in (1, 2, 3):
        page.get_by_label(f"Vaccine {i} expires on").fill("2035-01-01")
    page.get_by_label("Special needs").fill(needs)
    page.get_by_label("Emergency contact").fill(contact)
    v.axe("add a dog")
    v.shot("dog-form")
    page.get_by_role("button", name="Add dog").click()
    v.heading("Your dogs")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name))
    card.get_by_text("Vaccinations up to date").wait_for()
    v.axe("dogs list")
    v.shot("dogs")


def quote_and_book(v: Visit, service: str, day: str, *, nights: str | None = None, notes: str = "") -> str:
    v.nav("Book")
    v.heading("Book a stay")
    page = v.page
    page.get_by_role("radio", name=re.compile(f"^{service.capitalize()}")).check()
    page.get_by_label(re.compile("^(Date|Drop-off date)")).fill(day)
    if nights:
        page.get_by_label("Nights").fill(nights)
    if notes:
        page.get_by_label("Special instructions").fill(notes)
    page.get_by_role("button", name="Check price and availability").click()
    quote = page.get_by_role("region", name="Price and availability")
    quote.wait_for()
    assert re.search(r"Price: \$\d+\.\d\d", quote.inner_text())
    assert re.search(r"\d+ of \d+", quote.get_by_role("table").inner_text())
    v.axe("quote")
    if service == "daycare":
        v.shot("quote-daycare")
    quote.get_by_role("button", name=re.compile(r"^Book for \$")).click()
    v.heading(f"{service.capitalize()} booking")
    v.page.get_by_text("pending", exact=True).first.wait_for()
    return v.page.url.rsplit("/", 1)[-1]


def tab_to(v: Visit, name: str, limit: int = 40) -> None:
    """Press Tab until the control named ``name`` has the focus, and check the focus is visible."""
    for _ in range(limit):
        v.page.keyboard.press("Tab")
        focused = v.page.evaluate(
            """() => {
                const e = document.activeElement, s = getComputedStyle(e);
                return [e.textContent.trim(), e.getAttribute('aria-label') || '', s.outlineStyle, s.outlineWidth];
            }"""
        )
        if name in (focused[0], focused[1]):
            assert focused[2] != "none" and focused[3] != "0px", f"{name} has no visible focus: {focused}"
            return
    raise AssertionError(f"{name} is not reachable with Tab")


def book_by_keyboard(v: Visit, day: str) -> str:
    """The booking form driven by the keyboard alone: type, Enter for the quote, Tab to Book."""
    v.nav("Book")
    v.heading("Book a stay")
    date = v.page.get_by_label(re.compile("^Date"))
    date.focus()
    v.page.keyboard.type(day.replace("-", "")[4:6] + day.replace("-", "")[6:8] + day[:4])  # mm dd yyyy
    assert date.input_value() == day
    v.page.keyboard.press("Enter")  # submits the form: the quote
    v.page.get_by_role("region", name="Price and availability").wait_for()
    tab_to(v, v.page.get_by_role("button", name=re.compile(r"^Book for \$")).inner_text())
    v.page.keyboard.press("Enter")
    v.heading("Daycare booking")
    return v.page.url.rsplit("/", 1)[-1]


def pay(v: Visit, card: str) -> None:
    page = v.page
    pay_region = page.get_by_role("region", name=re.compile(r"^Pay \$"))
    start = pay_region.get_by_role("button", name="Pay by card")
    if start.count():
        start.click()
    form = page.get_by_role("form", name="Card details")
    form.get_by_label("Card number").fill(card)
    form.get_by_label("Expiry month").fill("12")
    form.get_by_label("Expiry year").fill("2034")
    form.get_by_label("Security code").fill("123")
    form.get_by_role("button", name="Pay now").click()


def booking_status(v: Visit) -> str:
    return v.page.locator(".details dd .badge").first.inner_text()


def test_an_owner_signs_up_books_pays_and_cancels(visit: Any, server: Server) -> None:
    v: Visit = visit()
    v.go("/app/")
    v.heading("Daycare, boarding and parking for your dog")
    v.axe("start page (signed out)")
    v.shot("start")
    assert app_config(server)["facilityTimezone"] == FACILITY_TIMEZONE
    v.sign_in("web-alice", "web-alice@example.com")
    register(v, "Alice Web", "+1 555 0100")
    add_dog(v, "Rex", "Allergic to chicken", "Bob, +1 555 0199")

    booking = quote_and_book(v, "daycare", facility_day(server, 3), notes="Give the pill at noon")
    v.axe("booking (pending)")
    v.shot("booking-pending")

    # A declined card: the booking stays pending and the owner is told why, in words.
    pay(v, DECLINED_CARD)
    alert = v.page.get_by_role("alert")
    alert.filter(has_text="declined").wait_for()
    assert "still held" in alert.inner_text()
    v.axe("payment declined")
    v.shot("payment-declined")
    assert booking_status(v) == "pending"

    # Then a good card: the webhook confirms the booking and the screen shows it.
    pay(v, GOOD_CARD)
    v.page.get_by_text("Your booking is confirmed").wait_for(timeout=30_000)
    assert booking_status(v) == "confirmed"
    v.page.get_by_role("region", name="Payment", exact=True).get_by_text("succeeded").wait_for()
    v.axe("booking confirmed")
    v.shot("booking-confirmed")

    # The card went from the browser to the local Stripe, as Stripe.js sends it to Stripe.
    stripe_base = app_config(server)["payments"]["stripeApiBase"]
    assert f"{stripe_base}/v1/payment_methods" in v.seen
    assert any(u.startswith(f"{stripe_base}/v1/payment_intents/") and u.endswith("/confirm") for u in v.seen)

    # My bookings lists it as upcoming.
    v.nav("Bookings")
    v.heading("Your bookings")
    upcoming = v.page.get_by_role("region", name="Upcoming")
    upcoming.get_by_role("link", name="Daycare for Rex").wait_for()
    upcoming.get_by_text("succeeded").wait_for()
    v.axe("my bookings")
    v.shot("bookings")

    # A second booking, paid and then cancelled: the refund is shown before confirming.
    second = quote_and_book(v, "boarding", facility_day(server, 5), nights="2")
    assert second != booking
    pay(v, GOOD_CARD)
    v.page.get_by_text("Your booking is confirmed").wait_for(timeout=30_000)
    v.page.get_by_role("button", name="Cancel booking…").click()
    refund = v.page.locator(".refund")
    refund.wait_for()
    assert re.search(r"You will get \$\d+\.\d\d back \(100% of what you paid\)", refund.inner_text())
    v.axe("cancel with refund")
    v.shot("cancel")
    v.page.get_by_role("button", name="Yes, cancel the booking").click()
    v.page.locator(".details dd .badge", has_text="cancelled").wait_for()
    v.page.get_by_role("region", name="Payment", exact=True).get_by_text(re.compile("refund")).wait_for(timeout=20_000)

    # Profile shows what was registered, the email from the identity provider.
    v.nav("Profile")
    v.heading("Your profile")
    assert v.page.get_by_label("Email").input_value() == "web-alice@example.com"
    assert v.page.get_by_label("Phone").input_value() == "+1 555 0100"
    v.axe("profile")


def test_staff_find_the_dog_open_its_care_card_and_check_it_in_and_out(visit: Any, server: Server) -> None:
    owner: Visit = visit()
    owner.sign_in("web-carol", "web-carol@example.com")
    register(owner, "Carol Web", "+1 555 0111")
    add_dog(owner, "Fido", "Needs a quiet corner", "Dan, +1 555 0122")
    day = facility_day(server, 4)
    quote_and_book(owner, "parking", day, notes="Pick-up by grandma")
    pay(owner, GOOD_CARD)
    owner.page.get_by_text("Your booking is confirmed").wait_for(timeout=30_000)

    staff: Visit = visit()
    staff.sign_in("web-staff", "web-staff@example.com", staff=True)
    staff.nav("Roster")
    staff.heading("Roster")
    staff.page.get_by_label("Date", exact=True).fill(day)
    parking = staff.page.get_by_role("region", name=re.compile("^Parking"))
    entry = parking.get_by_role("listitem").filter(has=staff.page.get_by_role("link", name="Fido", exact=True))
    entry.wait_for()
    # Booked as 08:00 to 17:00 on the form, shown so in the facility's zone (an en dash between).
    assert "08:00\u201317:00" in entry.inner_text()
    staff.axe("roster")
    staff.shot("roster")

    entry.get_by_role("link", name="Care card for Fido").click()
    staff.heading("Care card: Fido")
    assert "08:00" in staff.page.locator(".details").first.inner_text()
    text = staff.page.get_by_role("main").inner_text()
    for expected in (
        "Needs a quiet corner",
        "Dan, +1 555 0122",
        "Pick-up by grandma",
        "Carol Web",
        "+1 555 0111",
        "rabies",
    ):
        assert expected in text, expected
    staff.axe("care card")
    staff.shot("care-card")

    staff.page.get_by_role("button", name="Check in").click()
    staff.page.get_by_text("Fido is checked in").wait_for()
    staff.page.get_by_role("button", name="Check out").click()
    staff.page.get_by_text("Fido is checked out").wait_for()
    staff.page.locator(".details .badge", has_text="completed").wait_for()

    staff.nav("Capacity")
    staff.heading("Capacity")
    staff.page.get_by_label("Parking places per day").fill("15")
    staff.page.get_by_role("button", name="Save parking capacity").click()
    staff.page.get_by_text("Parking: 15 places a day.").wait_for()
    staff.axe("capacity")
    staff.shot("capacity")

    staff.nav("Owners")
    staff.heading("Owners")
    carol = staff.page.get_by_role("cell", name="Carol Web", exact=True)
    more = staff.page.get_by_role("button", name="Show more owners")
    staff.page.get_by_role("table").wait_for()
    while not carol.count() and more.count():
        more.click()
        staff.page.wait_for_function("() => !document.querySelector('.loading')")
    carol.wait_for()
    staff.axe("owners")
    staff.shot("owners")


def test_owners_see_only_their_own_data_and_no_staff_screens(visit: Any, server: Server) -> None:
    first: Visit = visit()
    first.sign_in("web-erin", "web-erin@example.com")
    register(first, "Erin Web", "+1 555 0133")
    add_dog(first, "Luna", "None", "Frank, +1 555 0144")
    erins_booking = book_by_keyboard(first, facility_day(server, 6))

    # Edit the dog; removing it while it has a booking is refused, in words, and it stays.
    first.nav("Dogs")
    first.page.get_by_role("link", name="Edit Luna").click()
    first.heading("Edit Luna")
    first.page.get_by_label("Special needs").fill("Afraid of thunder")
    first.axe("edit a dog")
    first.page.get_by_role("button", name="Save changes").click()
    first.heading("Your dogs")
    first.page.get_by_text("Special needs: Afraid of thunder").wait_for()
    first.page.get_by_role("button", name="Remove Luna").click()  # the confirmation is accepted
    refusal = first.page.get_by_role("alert")
    refusal.filter(has_text="Resource in use").wait_for()
    assert "active booking" in refusal.inner_text()
    assert first.page.get_by_role("heading", name="Luna").count() == 1

    second: Visit = visit()
    second.sign_in("web-gina", "web-gina@example.com")
    register(second, "Gina Web", "+1 555 0155")
    second.nav("Dogs")
    second.page.get_by_text("You have not added a dog yet.").wait_for()

    # The server's validation problem lands beside the field it names, and nothing is saved.
    second.page.get_by_role("link", name="Add a dog").click()
    name = second.page.get_by_label("Name", exact=True)
    name.fill("R" * 101)
    for i in (1, 2, 3):
        second.page.get_by_label(f"Vaccine {i} expires on").fill("2035-01-01")
    second.page.get_by_role("button", name="Add dog").click()
    second.page.get_by_role("alert").filter(has_text="Please correct the field marked below.").wait_for()
    assert name.get_attribute("aria-invalid") == "true"
    described = second.page.locator(f"#{name.get_attribute('aria-describedby')}")
    assert "at most 100 characters" in described.inner_text()
    second.axe("server validation errors")
    second.shot("validation")
    second.nav("Dogs")
    second.page.get_by_text("You have not added a dog yet.").wait_for()
    second.nav("Bookings")
    second.page.get_by_text("No upcoming bookings.").wait_for()
    assert "Luna" not in second.page.get_by_role("main").inner_text()
    # Opened by its address (a full page load): the tab signs in again through the provider's
    # session without a form (tokens live in memory only), and the booking is not found.
    second.go(f"/app/bookings/{erins_booking}")
    second.page.get_by_role("alert").filter(has_text=re.compile("could not find|not found", re.I)).wait_for()
    second.axe("someone else's booking")

    # No staff links, and the staff screens say so instead of showing anything.
    nav = second.page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Roster").count() == 0
    assert nav.get_by_role("link", name="Owners").count() == 0
    second.route("/app/staff/owners")
    second.heading("Staff only")
    assert second.page.get_by_role("table").count() == 0
    second.axe("staff only")

    # And the API refuses this person's own token on every staff route anyway.
    bearer = second.bearer()
    second.page.get_by_role("button", name="Sign out").click()
    second.page.get_by_role("heading", level=1, name="Daycare, boarding and parking for your dog").wait_for()
    second.page.get_by_role("banner").get_by_role("button", name="Sign in").wait_for()
    headers = {"Authorization": bearer, "Content-Type": "application/json"}
    day = facility_day(server, 6)
    refused = [
        requests.get(f"{server.url}/admin/bookings", params={"date": day}, headers=headers, timeout=10),
        requests.get(f"{server.url}/admin/owners", headers=headers, timeout=10),
        requests.get(f"{server.url}/admin/bookings/{erins_booking}/care-card", headers=headers, timeout=10),
        requests.post(f"{server.url}/admin/bookings/{erins_booking}/check-in", headers=headers, timeout=10),
        requests.put(f"{server.url}/admin/capacity/daycare", json={"daily_capacity": 1}, headers=headers, timeout=10),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all(r.headers["Content-Type"].startswith("application/problem+json") for r in refused)
