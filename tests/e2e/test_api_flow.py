"""The API over HTTP against `dogcare serve`: a customer's whole journey, staff, and every
error status a client can meet, with real tokens through the local gateway and authorizer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Server, start_server

pytestmark = pytest.mark.e2e
TIMEOUT = 15


def day(offset: int, hour: int = 9) -> str:
    moment = datetime.combine(datetime.now(UTC).date() + timedelta(days=offset), time(hour), UTC)
    return moment.isoformat().replace("+00:00", "Z")


def vaccinations() -> list[dict[str, str]]:
    until = (datetime.now(UTC).date() + timedelta(days=800)).isoformat()
    return [{"name": name, "expires_on": until} for name in ("rabies", "dhpp", "bordetella")]


class Client:
    """One caller of the API: a subject with a real token from the local issuer."""

    def __init__(self, server: Server, sub: str | None = None, *, admin: bool = False) -> None:
        self.server = server
        self.sub = sub or f"e2e-{uuid.uuid4().hex[:12]}"
        self.session = requests.Session()
        self.session.headers.update(server.headers(self.sub, admin=admin))

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.server.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def with_id_token(self, email: str | None = None) -> dict[str, str]:
        return {"X-Id-Token": self.server.id_token(self.sub, email)}

    def register(self) -> dict[str, Any]:
        response = self.post("/owners/register", {"name": "E2E Owner"}, headers=self.with_id_token())
        assert response.status_code == 201, response.text
        return dict(response.json())

    def add_dog(self, name: str = "Rex", size: str = "medium") -> dict[str, Any]:
        response = self.post("/dogs", {"name": name, "size": size, "vaccinations": vaccinations()})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def book(self, dog_id: str, service: str = "daycare", start: str | None = None, end: str | None = None) -> Any:
        start = start or day(3, 9)
        end = end or day(3, 17)
        return self.post("/bookings", {"dog_id": dog_id, "service_type": service, "start_time": start, "end_time": end})


def problem(response: requests.Response, status: int, kind: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"].split(";")[0] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/problems/{kind}", body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return dict(body)


@pytest.fixture
def owner(server: Server) -> Client:
    client = Client(server)
    client.register()
    return client


@pytest.fixture
def staff(server: Server) -> Client:
    return Client(server, admin=True)


# --- the journey -----------------------------------------------------------------------------


def test_an_owners_whole_journey(server: Server, staff: Client) -> None:
    me = Client(server)
    registered = me.post("/owners/register", {"name": "Dana"}, headers=me.with_id_token(f"{me.sub}@Example.com"))
    assert registered.status_code == 201
    assert registered.headers["ETag"] == '"1"'
    assert registered.json()["email"] == f"{me.sub}@Example.com"

    profile = me.get("/owners/profile")
    assert profile.status_code == 200
    etag = profile.headers["ETag"]
    updated = me.put("/owners/profile", {"phone": "+1 555 0101"}, headers={"If-Match": etag})
    assert updated.status_code == 200
    assert updated.json()["phone"] == "+1 555 0101"
    assert updated.headers["ETag"] == '"2"'
    problem(me.put("/owners/profile", {"name": "Late"}, headers={"If-Match": etag}), 412, "version-mismatch")

    dogs = [me.add_dog(name, size) for name, size in (("Ace", "small"), ("Bo", "large"), ("Cy", "giant"))]
    first = me.get("/dogs", params={"limit": 2})
    assert first.status_code == 200
    assert len(first.json()["items"]) == 2
    cursor = first.json()["next_cursor"]
    assert cursor
    second = me.get("/dogs", params={"limit": 2, "cursor": cursor}).json()
    assert second["next_cursor"] is None
    assert sorted(d["name"] for d in first.json()["items"] + second["items"]) == ["Ace", "Bo", "Cy"]

    daycare = me.book(dogs[0]["id"], "daycare", day(3, 8), day(3, 16))
    assert daycare.status_code == 201, daycare.text
    assert daycare.headers["ETag"] == '"1"'
    boarding = me.book(dogs[1]["id"], "boarding", day(5, 10), day(7, 11)).json()
    parking = me.book(dogs[2]["id"], "parking", day(4, 9), day(4, 12)).json()
    assert boarding["price"] == "130.00"
    assert boarding["status"] == parking["status"] == "pending"

    listed = me.get("/bookings").json()["items"]
    assert [b["id"] for b in listed] == [daycare.json()["id"], parking["id"], boarding["id"]]
    window = me.get("/bookings", params={"from": day(4, 0), "to": day(5, 23), "status": "pending"}).json()
    assert [b["id"] for b in window["items"]] == [parking["id"], boarding["id"]]

    path = f"/bookings/{daycare.json()['id']}"
    moved = me.put(path, {"start_time": day(3, 9), "end_time": day(3, 18)}, headers={"If-Match": '"1"'})
    assert moved.status_code == 200, moved.text
    assert moved.json()["start_time"] == day(3, 9)
    assert moved.headers["ETag"] == '"2"'

    roster = staff.get("/admin/bookings", params={"date": day(3)[:10]})
    assert roster.status_code == 200
    assert daycare.json()["id"] in [r["booking_id"] for r in roster.json()["items"]]
    boarders = staff.get("/admin/bookings", params={"date": day(6)[:10], "service_type": "boarding"}).json()
    assert boarding["id"] in [r["booking_id"] for r in boarders["items"]]
    capacity = staff.put("/admin/capacity/daycare", {"daily_capacity": 25})
    assert capacity.status_code == 200
    assert capacity.json()["daycare"] == 25
    assert staff.put("/admin/capacity/daycare", {"daily_capacity": 20}).json()["daycare"] == 20

    cancelled = me.delete(path)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert [b["id"] for b in me.get("/bookings", params={"status": "cancelled"}).json()["items"]] == [
        daycare.json()["id"]
    ]
    problem(me.delete(f"/dogs/{dogs[2]['id']}"), 409, "resource-in-use")
    assert me.delete(f"/bookings/{parking['id']}").status_code == 200
    dog_etag = me.get(f"/dogs/{dogs[2]['id']}").headers["ETag"]
    gone = me.delete(f"/dogs/{dogs[2]['id']}", headers={"If-Match": dog_etag})
    assert gone.status_code == 204
    assert gone.content == b""
    problem(me.get(f"/dogs/{dogs[2]['id']}"), 404, "not-found")
    assert len(me.get("/dogs").json()["items"]) == 2


# --- authentication, routing ---------------------------------------------------------------


def test_401_for_no_token_a_bad_token_and_an_expired_token(server: Server) -> None:
    expired = server.token("e2e-expired", expires_in=-300)
    forged = server.token("e2e-forged")
    header, payload, _ = forged.split(".")
    cases: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer not.a.token"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {header}.{payload}.c2lnbmF0dXJl"},
        {"Authorization": f"Basic {forged}"},
    ]
    before = server.snapshot()
    for headers in cases:
        for method, path in (("GET", "/dogs"), ("POST", "/owners/register"), ("GET", "/admin/owners")):
            response = requests.request(
                method,
                server.url + path,
                headers=headers,
                json={"name": "X", "email": "x@example.com"},
                timeout=TIMEOUT,
            )
            problem(response, 401, "unauthenticated")
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert server.snapshot() == before


def test_405_for_a_wrong_method_and_404_for_an_unknown_path(owner: Client) -> None:
    wrong = owner.request("PATCH", "/dogs")
    problem(wrong, 405, "method-not-allowed")
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    problem(owner.delete("/owners/register"), 405, "method-not-allowed")
    problem(owner.put("/admin/owners", {}), 405, "method-not-allowed")
    problem(owner.get("/cats"), 404, "no-route")
    problem(owner.get("/dogs/x/y"), 404, "no-route")
    anonymous = requests.get(owner.server.url + "/nowhere", timeout=TIMEOUT)
    assert anonymous.status_code == 404
    head = owner.request("HEAD", "/owners/profile")  # HEAD is the path's GET without the body
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["Content-Length"]) > 0
    assert head.headers["ETag"] == '"1"'


def test_403_for_owners_on_staff_routes(server: Server, owner: Client) -> None:
    before = server.snapshot()
    problem(owner.get("/admin/owners"), 403, "forbidden")
    problem(owner.get("/admin/bookings", params={"date": day(3)[:10]}), 403, "forbidden")
    problem(owner.put("/admin/capacity/daycare", {"daily_capacity": 0}), 403, "forbidden")
    problem(owner.post("/admin/bookings/booking-x/check-in"), 403, "forbidden")
    problem(owner.post("/admin/bookings/booking-x/check-out"), 403, "forbidden")
    assert server.snapshot() == before


# --- the other errors ------------------------------------------------------------------------


def test_400_for_malformed_json_and_a_bad_cursor(server: Server, owner: Client) -> None:
    before = server.snapshot()
    raw = owner.request("POST", "/dogs", data='{"name": "Rex", "size":', headers={"Content-Type": "application/json"})
    problem(raw, 400, "malformed-json")
    problem(owner.get("/dogs", params={"cursor": "not-a-cursor"}), 400, "invalid-cursor")
    other = Client(server)
    other.register()
    other.add_dog("A")
    other.add_dog("B")
    cursor = other.get("/dogs", params={"limit": 1}).json()["next_cursor"]
    problem(owner.get("/dogs", params={"cursor": cursor}), 400, "invalid-cursor")
    assert server.snapshot() != before  # (the other owner's writes)
    after = server.snapshot()
    problem(owner.get("/bookings", params={"cursor": cursor}), 400, "invalid-cursor")
    assert server.snapshot() == after


def test_404_is_the_same_for_an_unknown_id_and_another_owners_id(server: Server, owner: Client) -> None:
    dog = owner.add_dog()
    booking = owner.book(dog["id"], start=day(8, 9), end=day(8, 10)).json()
    thief = Client(server)
    thief.register()
    before = server.snapshot()
    for kind, theirs in (("dogs", dog["id"]), ("bookings", booking["id"])):
        prefix = kind.rstrip("s")
        unknown = f"{prefix}-{uuid.uuid4()}"
        for method, body in (
            ("GET", None),
            ("PUT", {"special_instructions": "x"} if kind == "bookings" else {"name": "x"}),
            ("DELETE", None),
        ):
            a = thief.request(method, f"/{kind}/{theirs}", json=body)
            b = thief.request(method, f"/{kind}/{unknown}", json=body)
            problem(a, 404, "not-found")
            assert a.json() == b.json()
    assert server.snapshot() == before
    assert owner.get(f"/dogs/{dog['id']}").status_code == 200


def test_409_conflicts(server: Server, owner: Client, staff: Client) -> None:
    before = server.snapshot()
    twin = Client(server)
    taken = twin.post(
        "/owners/register", {"name": "Twin"}, headers=twin.with_id_token(f"{owner.sub.upper()}@example.com")
    )
    again = owner.post(
        "/owners/register", {"name": "Again"}, headers=owner.with_id_token(f"again-{owner.sub}@example.com")
    )
    problem(taken, 409, "registration-conflict")
    problem(again, 409, "registration-conflict")
    assert taken.json() == again.json()  # nobody learns whose address is whose
    assert server.snapshot() == before

    dog = owner.add_dog()
    booking = owner.book(dog["id"], start=day(10, 9), end=day(10, 12)).json()
    before = server.snapshot()
    problem(owner.book(dog["id"], start=day(10, 11), end=day(10, 13)), 409, "overlapping-booking")
    problem(staff.post(f"/admin/bookings/{booking['id']}/check-in"), 409, "invalid-transition")
    assert server.snapshot() == before
    assert owner.delete(f"/bookings/{booking['id']}").status_code == 200
    problem(owner.delete(f"/bookings/{booking['id']}"), 409, "invalid-transition")
    problem(owner.put(f"/bookings/{booking['id']}", {"start_time": day(10, 10)}), 409, "invalid-transition")


def test_409_when_the_day_is_full(server: Server, owner: Client, staff: Client) -> None:
    first, second = owner.add_dog("One"), owner.add_dog("Two")
    assert staff.put("/admin/capacity/parking", {"daily_capacity": 1}).status_code == 200
    try:
        assert owner.book(first["id"], "parking", day(41, 8), day(41, 10)).status_code == 201
        before = server.snapshot()
        problem(owner.book(second["id"], "parking", day(41, 12), day(41, 14)), 409, "capacity-full")
        assert server.snapshot() == before
    finally:
        assert staff.put("/admin/capacity/parking", {"daily_capacity": 20}).status_code == 200
    assert owner.book(second["id"], "parking", day(41, 12), day(41, 14)).status_code == 201


def test_412_413_415_and_422(server: Server, owner: Client) -> None:
    dog = owner.add_dog()
    before = server.snapshot()
    problem(owner.put(f"/dogs/{dog['id']}", {"age": 3}, headers={"If-Match": '"41"'}), 412, "version-mismatch")
    big = json.dumps({"name": "R" * (65 * 1024), "size": "large"})
    problem(owner.request("POST", "/dogs", data=big), 413, "too-large")
    problem(
        owner.request("POST", "/dogs", data="name=Rex", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    problem(
        owner.post("/dogs", {"name": "Rex", "size": "large", "colour": "brown"}),
        422,
        "validation",
        "body.colour",
    )
    for field, value in (
        ("owner_id", "owner-x"),
        ("vaccination_status", "up-to-date"),
        ("id", "dog-1"),
        ("created_at", "2020-01-01T00:00:00Z"),
        ("version", 7),
    ):
        problem(
            owner.post("/dogs", {"name": "Rex", "size": "large", field: value}),
            422,
            "validation",
            f"body.{field}",
        )
    booking = {
        "dog_id": dog["id"],
        "service_type": "daycare",
        "start_time": day(12, 9),
        "end_time": day(12, 10),
    }
    for field, value in (("price", "0.01"), ("status", "confirmed"), ("payment_id", "payment-1")):
        problem(owner.post("/bookings", {**booking, field: value}), 422, "validation", f"body.{field}")
    for limit in (0, 101):
        problem(owner.get("/dogs", params={"limit": limit}), 422, "validation", "query.limit")
        problem(owner.get("/bookings", params={"limit": limit}), 422, "validation", "query.limit")
    assert server.snapshot() == before


def test_idempotency_key_over_http(server: Server, owner: Client) -> None:
    dog = owner.add_dog()
    body = {"dog_id": dog["id"], "service_type": "daycare", "start_time": day(14, 9), "end_time": day(14, 15)}
    key = {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}
    first = owner.post("/bookings", body, headers=key)
    again = owner.post("/bookings", body, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    problem(owner.post("/bookings", {**body, "end_time": day(14, 16)}, headers=key), 422, "idempotency-key-reused")


def test_cors_preflight_over_http(server: Server) -> None:
    # Answered by the gateway, as API Gateway's mock integration answers it in AWS: one origin,
    # the first configured, whoever asks (a browser on another origin sees the mismatch).
    for origin in ("http://localhost:3000", "https://evil.example"):
        answer = requests.options(
            server.url + "/dogs",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            timeout=TIMEOUT,
        )
        assert answer.status_code == 200
        assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
        assert set(answer.headers["Access-Control-Allow-Methods"].split(",")) == {"GET", "POST", "OPTIONS"}


# --- rate limit: a server of its own -----------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(Path(tmp_path_factory.mktemp("limited-home")), DOGCARE_RATE_LIMIT_PER_MINUTE="3")
    yield srv
    srv.stop()


def test_429_with_retry_after(limited: Server) -> None:
    client = Client(limited)
    statuses = []
    for _ in range(10):  # 3 a minute: the 4th is refused (a 5th to 7th if a new minute began meanwhile)
        response = client.get("/dogs")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[:3] == [200, 200, 200]
    assert statuses[-1] == 429, statuses
    problem(response, 429, "rate-limited")
    # A sliding window: the minute just counted still weighs on the next one (at most 2 minutes).
    assert 1 <= int(response.headers["Retry-After"]) <= 120
    assert Client(limited).get("/dogs").status_code == 200  # per caller
