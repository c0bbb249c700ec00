"""Schema migrations: a registry of steps, each bringing one entity's items to a version.

A step names the entity (its type stamp), the logical table its items live in, the schema
version its items have afterwards, and an ``upgrade`` that computes the attributes to add
from the item itself. The runner scans the table for items of that entity below the
version and writes each upgrade with one ``UpdateItem`` conditioned on the version it read
(and on the attributes the upgrade was computed from), so:

- it is safe while the API serves: a request that rewrote the item meanwhile (a reschedule
  writes the current version itself) wins, and the item is counted as already done;
- it is idempotent: items at the version are filtered out, a second run writes nothing;
- it is resumable two ways: after every page it reports a checkpoint (``--resume`` starts
  there), and a plain re-run skips whatever is already at the version.

Add a step with ``register(MigrationStep(...))``; steps run in registration order.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from dogcare.domain.clock import parse_iso
from dogcare.domain.scheduling import plan_stay
from dogcare.maintenance.scan import RawItem, scan_pages
from dogcare.repositories.bookings import RELEASED
from dogcare.storage import keys
from dogcare.storage.batch import batch_get
from dogcare.storage.declarations import DAY_KEY
from dogcare.storage.entities import BOOKING_SCHEMA_VERSION
from dogcare.storage.layout import LogicalTable
from dogcare.storage.store import storage_errors

if TYPE_CHECKING:
    from dogcare.facade import Dogcare

WRITE_RETRIES = 3


class Refused(Exception):
    """The item cannot be upgraded safely as it is: left unchanged and reported."""


@dataclass(frozen=True)
class StepContext:
    app: Dogcare
    zone: str  # the facility zone the old items were written under (``--zone``)


@dataclass(frozen=True)
class Upgrade:
    """What to add to an item (DynamoDB JSON values), and what it was computed from: the
    write is conditioned on those attributes being unchanged."""

    set: dict[str, Any]
    computed_from: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MigrationStep:
    name: str
    entity: str
    table: LogicalTable
    version: int
    upgrade: Callable[[StepContext, RawItem], Upgrade]
    summary: str = ""


@dataclass(frozen=True)
class Checkpoint:
    step: str
    key: RawItem | None  # the scan's next page (None: the step is done)

    def encode(self) -> str:
        raw = json.dumps({"step": self.step, "key": self.key}, sort_keys=True, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode()

    @classmethod
    def decode(cls, token: str) -> Checkpoint:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()))
            return cls(str(data["step"]), data["key"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError("not a checkpoint printed by dogcare migrate") from exc


@dataclass
class Progress:
    step: str
    scanned: int
    migrated: int
    checkpoint: Checkpoint


@dataclass
class MigrationResult:
    scanned: int = 0  # items of the steps' entities below their version, as read
    migrated: int = 0  # written by this run
    already: int = 0  # at the version by the time the write came (a request wrote it)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (item key, why)
    steps: list[str] = field(default_factory=list)


MIGRATIONS: list[MigrationStep] = []


def register(step: MigrationStep) -> MigrationStep:
    if any(s.name == step.name for s in MIGRATIONS):
        raise ValueError(f"a migration step named {step.name!r} is already registered")
    MIGRATIONS.append(step)
    return step


def migrate(
    app: Dogcare,
    *,
    zone: str | None = None,
    resume: str | None = None,
    page_size: int = 100,
    on_page: Callable[[Progress], None] | None = None,
    steps: Sequence[MigrationStep] | None = None,
) -> MigrationResult:
    """Run every registered step (from ``resume``'s step and page on, if given)."""
    every_step = steps is None  # the key migrations run with the full set only
    steps = list(MIGRATIONS if steps is None else steps)
    ctx = StepContext(app, zone or app.settings.timezone)
    start = Checkpoint.decode(resume) if resume else None
    if start is not None and start.step not in {s.name for s in steps}:
        raise ValueError(f"the checkpoint is for an unknown step {start.step!r}")
    result = MigrationResult()
    started = start is None
    for step in steps:
        key = None
        if not started and start is not None:
            if step.name != start.step:
                continue  # a step before the checkpoint's: finished by the interrupted run
            started = True
            if start.key is None:
                continue  # the checkpoint was taken at the end of this step
            key = start.key
        result.steps.append(step.name)
        _run_step(ctx, step, key, page_size, result, on_page)
    if every_step:
        _run_key_migrations(app, result)
    return result


# Key changes (an item moved to another key, not a new attribute): each is idempotent and
# conditional by itself, so it simply runs again after the item steps on every run.
def _owner_directory(app: Dogcare) -> tuple[int, list[tuple[str, str]]]:
    from dogcare.storage.migrations import migrate_owner_directory

    return migrate_owner_directory(app.store).migrated, []


def _email_guards(app: Dogcare) -> tuple[int, list[tuple[str, str]]]:
    from dogcare.repositories.owners import migrate_email_guards

    report = migrate_email_guards(app)
    why = "its address's confusable skeleton is another owner's guard; staff must resolve it"
    return report.moved, [(f"owner {owner_id}", why) for owner_id in report.conflicts]


KEY_MIGRATIONS: tuple[tuple[str, Callable[[Dogcare], tuple[int, list[tuple[str, str]]]]], ...] = (
    ("owner-directory-shards", _owner_directory),
    ("email-guard-skeletons", _email_guards),
)


def _run_key_migrations(app: Dogcare, result: MigrationResult) -> None:
    for name, run in KEY_MIGRATIONS:
        moved, refused = run(app)
        result.steps.append(name)
        result.migrated += moved
        result.refused.extend(refused)


def _run_step(
    ctx: StepContext,
    step: MigrationStep,
    start_key: RawItem | None,
    page_size: int,
    result: MigrationResult,
    on_page: Callable[[Progress], None] | None,
) -> None:
    store = ctx.app.store
    table = store.layout.table_name(step.table)
    pages = scan_pages(
        store,
        table,
        start_key=start_key,
        page_size=page_size,
        filter_expression="entity_type = :e AND (attribute_not_exists(schema_version) OR schema_version < :v)",
        values={":e": {"S": step.entity}, ":v": {"N": str(step.version)}},
    )
    for page in pages:
        for item in page.items:
            result.scanned += 1
            _upgrade_one(ctx, step, table, item, result)
        if on_page is not None:
            on_page(Progress(step.name, result.scanned, result.migrated, Checkpoint(step.name, page.next_key)))


def _label(item: RawItem) -> str:
    return f"{item['pk']['S']} {item['sk']['S']}"


def _upgrade_one(ctx: StepContext, step: MigrationStep, table: str, item: RawItem, result: MigrationResult) -> None:
    client = ctx.app.store.client
    for _ in range(WRITE_RETRIES):
        try:
            upgrade = step.upgrade(ctx, item)
        except Refused as exc:
            result.refused.append((_label(item), str(exc)))
            return
        names: dict[str, str] = {}
        values: dict[str, Any] = {":e": {"S": step.entity}, ":to": {"N": str(step.version)}}
        sets = []
        for n, (name, value) in enumerate(sorted(upgrade.set.items())):
            names[f"#s{n}"] = name
            values[f":s{n}"] = value
            sets.append(f"#s{n} = :s{n}")
        conditions = ["entity_type = :e"]
        old = item.get("schema_version")
        if old is None:
            conditions.append("attribute_not_exists(schema_version)")
        else:
            values[":from"] = old
            conditions.append("schema_version = :from")
        for n, (name, value) in enumerate(sorted(upgrade.computed_from.items())):
            names[f"#c{n}"] = name
            values[f":c{n}"] = value
            conditions.append(f"#c{n} = :c{n}")
        try:
            with storage_errors():
                client.update_item(
                    TableName=table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression=f"SET {', '.join([*sets, 'schema_version = :to'])}",
                    ConditionExpression=" AND ".join(conditions),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                )
            result.migrated += 1
            return
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        # Changed since the scan read it: read it again and decide afresh.
        with storage_errors():
            fresh = client.get_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]}, ConsistentRead=True).get(
                "Item"
            )
        if fresh is None or fresh.get("entity_type", {}).get("S") != step.entity:
            return  # deleted meanwhile: nothing to migrate
        if int(fresh.get("schema_version", {}).get("N", "0")) >= step.version:
            result.already += 1
            return
        item = fresh
    result.refused.append((_label(item), "it kept changing while being migrated; run again"))


# --- the steps ---------------------------------------------------------------------------


def _strings(values: Sequence[date]) -> dict[str, Any]:
    return {"L": [{"S": d.isoformat()} for d in values]}


def _booking_plan(ctx: StepContext, item: RawItem) -> Upgrade:
    """Version 2: a booking records what it took. Computed from the booking's own times under
    the zone it was made under (``--zone``, unless the item names one); the one place a plan
    is computed for an existing booking. The roster items the booking wrote back then are
    checked against it: a booking they contradict (a wrong ``--zone``) is refused."""
    zone = item.get("zone", {}).get("S") or ctx.zone
    service = item["service_type"]["S"]
    start, end = parse_iso(item["start_time"]["S"]), parse_iso(item["end_time"]["S"])
    plan = plan_stay(service, start, end, zone)
    if item["status"]["S"] not in RELEASED:  # a cancelled (or expired) booking's roster items are gone
        store = ctx.app.store
        table = store.layout.table_name("bookings")
        wanted = [(table, item["pk"]["S"], keys.booking_day_sk(day)) for day in plan.roster_days]
        found = batch_get(store, wanted)
        missing = [sk for (_, _, sk) in wanted if (table, item["pk"]["S"], sk) not in found]
        if missing:
            days = ", ".join(m.removeprefix(DAY_KEY.prefix) for m in missing)
            raise Refused(
                f"under {zone} it would be on the roster on {days}, "
                "where it has no roster item: pass the zone it was booked under (--zone)"
            )
    return Upgrade(
        set={
            "capacity_days": _strings(plan.capacity_days),
            "roster_days": _strings(plan.roster_days),
            "schedule_interval": {"S": plan.interval},
            "zone": {"S": zone},
        },
        computed_from={"start_time": item["start_time"], "end_time": item["end_time"]},
    )


BOOKING_PLAN = register(
    MigrationStep(
        name="booking-plan",
        entity="booking",
        table="bookings",
        version=BOOKING_SCHEMA_VERSION,
        upgrade=_booking_plan,
        summary="bookings record their capacity days, roster days, schedule interval and zone",
    )
)
