"""``dogcare seed``: realistic demo data, the same on every run with the same ``--seed``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import typer
from rich.progress import Progress

from dogcare.commands import AddressInput, DogSize, NewBooking, NewDog, RegisterOwner, ServiceType, VaccinationInput
from dogcare.domain.actor import Actor
from dogcare.domain.ids import deterministic_ids
from dogcare.errors import DogcareError
from dogcare.facade import Dogcare

FIRST = ["Ana", "Ben", "Chloe", "Dev", "Emma", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kai", "Lena", "Mo", "Nina"]
LAST = ["Silva", "Okafor", "Meyer", "Patel", "Rossi", "Kim", "Novak", "Haddad", "Larsen", "Moreau"]
DOGS = ["Rex", "Luna", "Milo", "Bella", "Max", "Daisy", "Otto", "Nala", "Rocky", "Kiwi", "Biscuit", "Pepper"]
BREEDS: dict[DogSize, list[str]] = {
    "small": ["Dachshund", "Jack Russell", "Pug"],
    "medium": ["Beagle", "Border Collie", "Cocker Spaniel"],
    "large": ["Labrador", "German Shepherd", "Boxer"],
    "giant": ["Great Dane", "Newfoundland", "Mastiff"],
}
CITIES = [("Portland", "OR", "97201"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202")]


def _vaccinations(rng: random.Random, today: date) -> list[VaccinationInput]:
    """Mostly valid for a year; some expiring soon, some expired, some missing one."""
    state = rng.choices(["ok", "expiring", "expired", "missing"], weights=[7, 1, 1, 1])[0]
    shots = {"rabies": 365, "dhpp": 300, "bordetella": 200}
    if state == "expiring":
        shots["bordetella"] = 10
    elif state == "expired":
        shots["dhpp"] = -20
    elif state == "missing":
        del shots["bordetella"]
    return [VaccinationInput(name=n, expires_on=today + timedelta(days=d)) for n, d in shots.items()]


def seed_demo(
    owners: int, days: int, random_seed: int, quiet: bool = False, app: Dogcare | None = None
) -> dict[str, int]:
    """Owners with dogs of mixed sizes and vaccination states, bookings across services and
    days within capacity; some cancelled. Returns what was made."""
    from dogcare.cli.context import dogcare_for_cli

    app = app or dogcare_for_cli()
    rng = random.Random(random_seed)
    today = app.clock().date()
    made = {"owners": 0, "dogs": 0, "bookings": 0, "cancelled": 0, "skipped": 0}
    with deterministic_ids(rng), Progress(disable=quiet, transient=True) as progress:
        task = progress.add_task("seeding", total=owners)
        for n in range(owners):
            subject = f"demo-{random_seed}-{n:04d}"
            first, last = rng.choice(FIRST), rng.choice(LAST)
            city, state, zip_code = rng.choice(CITIES)
            actor = Actor(subject)  # each demo owner acts for themself
            try:
                app.owners.register(
                    actor,
                    RegisterOwner(
                        name=f"{first} {last}",
                        phone=f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                        address=AddressInput(
                            street=f"{rng.randint(1, 999)} Main St", city=city, state=state, zip=zip_code
                        ),
                    ),
                    # Demo data: an address the identity provider would have verified.
                    f"{first}.{last}.{random_seed}.{n}@example.com".lower(),
                )
            except DogcareError:
                made["skipped"] += 1  # already seeded (same seed run twice)
                progress.advance(task)
                continue
            made["owners"] += 1
            for _ in range(rng.choice([1, 1, 2, 3])):
                size = rng.choice(list(BREEDS))
                dog = app.dogs.add(
                    actor,
                    NewDog(
                        name=rng.choice(DOGS),
                        breed=rng.choice(BREEDS[size]),
                        age=rng.randint(1, 14),
                        size=size,
                        vaccinations=_vaccinations(rng, today),
                        special_needs=rng.choice([[], [], ["no chicken"], ["shy with big dogs"]]),
                        emergency_contact=f"{rng.choice(FIRST)} +1 555 {rng.randint(1000, 9999)}",
                    ),
                )
                made["dogs"] += 1
                if dog.vaccination_status not in ("up-to-date",):
                    continue
                day = today + timedelta(days=rng.randint(1, max(1, days)))
                services: list[ServiceType] = ["daycare", "daycare", "parking", "boarding"]
                service = rng.choice(services)
                start = datetime.combine(day, time(rng.choice([7, 8, 9])), UTC)
                end = {
                    "daycare": start.replace(hour=17),
                    "parking": start + timedelta(hours=rng.randint(1, 6)),
                    "boarding": datetime.combine(day + timedelta(days=rng.randint(1, 4)), time(11), UTC),
                }[service]
                try:
                    booking = app.bookings.create(
                        actor,
                        NewBooking(
                            dog_id=dog.id,
                            service_type=service,
                            start_time=start,
                            end_time=end,
                            special_instructions=rng.choice([None, "Loves fetch", "Medication at noon"]),
                        ),
                    )
                except DogcareError:
                    continue  # full that day, or the dog's vaccinations lapse before the stay ends
                made["bookings"] += 1
                if rng.random() < 0.15:
                    app.bookings.cancel(actor, booking.id)
                    made["cancelled"] += 1
            progress.advance(task)
    return made


def seed(
    owners: Annotated[int, typer.Option(min=1, max=10_000, help="How many owners to create.")] = 20,
    days: Annotated[int, typer.Option(min=1, max=365, help="Spread bookings over this many days ahead.")] = 14,
    random_seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 7,
) -> None:
    """Fill the tables with realistic demo data (owners, dogs, bookings)."""
    made = seed_demo(owners, days, random_seed)
    typer.echo(", ".join(f"{k}: {v}" for k, v in made.items()))
