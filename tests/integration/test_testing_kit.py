"""dogcare.testing, as a library user meets it: factories, a Dogcare on moto, the pytest plugin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pytest

from dogcare.domain.vocabulary import BookingStatus, PaymentStatus, ServiceType
from dogcare.testing import Clock, InMemoryPaymentGateway, dogcare_on_moto, factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("layout", ["single", "four"])
def test_a_paid_booking_in_either_layout(layout: Literal["single", "four"]) -> None:
    gateway = InMemoryPaymentGateway()
    with dogcare_on_moto(layout, payment_gateway=gateway) as app:
        assert sorted(app.store.layout.tables()) == (
            ["dogcare-test-data"]
            if layout == "single"
            else [f"dogcare-test-{t}" for t in ("bookings", "dogs", "owners", "payments")]
        )
        owner = factories.register_owner(app)
        dog = factories.add_dog(app, owner)
        assert dog.vaccination_status == "up-to-date"
        booking = factories.book(app, owner, dog)
        assert booking.status == BookingStatus.PENDING
        # The default clock's Monday 08:00: the next weekday, 09:00-17:00.
        assert (booking.start_time, booking.end_time) == (
            datetime(2030, 3, 5, 9, tzinfo=UTC),
            datetime(2030, 3, 5, 17, tzinfo=UTC),
        )
        paid = factories.pay(app, gateway, owner, booking)
        assert paid.booking.status == BookingStatus.CONFIRMED
        assert paid.payment.status == PaymentStatus.SUCCEEDED and paid.payment.amount == booking.price
        assert gateway.intents[str(paid.payment.provider_reference)]["status"] == "succeeded"


def test_every_service_gets_valid_default_times() -> None:
    clock = Clock(datetime(2030, 3, 8, 18, tzinfo=UTC))  # a Friday evening
    with dogcare_on_moto(clock=clock) as app:
        owner = factories.register_owner(app)
        dog = factories.add_dog(app, owner, size="small")
        daycare = factories.book(app, owner, dog, ServiceType.DAYCARE)
        assert daycare.start_time.date() == date(2030, 3, 11)  # the weekend is skipped
        other = factories.add_dog(app, owner, name="Luna")
        boarding = factories.book(app, owner, other, ServiceType.BOARDING)
        assert (boarding.end_time - boarding.start_time).days == factories.BOARDING_NIGHTS
        third = factories.add_dog(app, owner, name="Bo")
        parking = factories.book(app, owner, third, ServiceType.PARKING)
        assert (parking.end_time - parking.start_time).total_seconds() == factories.PARKING_HOURS * 3600


def test_vaccination_defaults_follow_the_app_and_accept_overrides() -> None:
    with dogcare_on_moto(required_vaccinations=("rabies", "leptospirosis")) as app:
        names = [v.name for v in factories.vaccinations(app=app)]
        assert names == ["rabies", "leptospirosis"]
        assert all(v.expires_on == date(2032, 3, 3) for v in factories.vaccinations(app=app))
        owner = factories.register_owner(app)
        missing = factories.add_dog(app, owner, vaccinations=factories.vaccinations(app=app, rabies=None))
        assert missing.vaccination_status == "missing"


def test_the_block_leaves_the_environment_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "outer")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with dogcare_on_moto() as app:
        assert os.environ["AWS_ACCESS_KEY_ID"] != "outer"  # fake credentials only
        home = app.settings.home
        assert home.is_dir()
    assert os.environ["AWS_ACCESS_KEY_ID"] == "outer"
    assert "AWS_SESSION_TOKEN" not in os.environ
    assert not home.exists()  # the temporary home went with the block


def test_the_pytest_plugin_gives_a_dogcare_in_both_layouts(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            pytest_plugins = ["dogcare.testing.pytest_plugin"]

            @pytest.fixture(params=["single", "four"])
            def dogcare_layout(request):
                return request.param
            """
        )
    )
    (tmp_path / "test_service.py").write_text(
        textwrap.dedent(
            """
            from dogcare.testing import factories

            def test_pay(dogcare_app, payment_gateway, dogcare_clock, dogcare_layout):
                assert dogcare_app.settings.table_layout == dogcare_layout
                owner = factories.register_owner(dogcare_app)
                booking = factories.book(dogcare_app, owner, factories.add_dog(dogcare_app, owner))
                paid = factories.pay(dogcare_app, payment_gateway, owner, booking)
                assert paid.booking.status == "confirmed"
                dogcare_clock.advance(days=1)
                assert dogcare_app.clock() == dogcare_clock.now
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


def test_the_runtime_packages_ship_no_test_fake() -> None:
    assert not (ROOT / "dogcare" / "payments" / "memory_gateway.py").exists()
    product = [p for p in (ROOT / "dogcare").rglob("*.py") if "testing" not in p.relative_to(ROOT).parts]
    importers = [
        str(p.relative_to(ROOT))
        for p in product
        if "from dogcare.testing" in p.read_text() or "import dogcare.testing" in p.read_text()
    ]
    assert importers == []  # the runtime never imports the kit
    # ... and the functions' packages leave it out.
    build = [line for line in (ROOT / "deploy" / "Makefile").read_text().splitlines() if "rm -rf" in line]
    assert any('"$(ARTIFACTS_DIR)/dogcare/testing"' in line for line in build)
