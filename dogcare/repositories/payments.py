"""Payments: one record per booking, linked to it atomically; provider events applied once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action

from dogcare.domain.clock import iso, parse_iso
from dogcare.domain.model import Booking, Payment
from dogcare.domain.money import Money
from dogcare.domain.vocabulary import BookingStatus
from dogcare.errors import AlreadyLinked, CapacityFull, ConcurrentUpdate, EventAlreadyProcessed, InvalidTransition
from dogcare.repositories.base import Page, Repository
from dogcare.storage.entities import MoneyMap, index_key_actions, key_item, new_item
from dogcare.storage.patterns import GET_PAYMENT, LIST_OWNER_PAYMENTS
from dogcare.storage.transactions import TransactionFailed, Tx

EVENT_RETENTION = timedelta(days=35)  # longer than the provider retries a webhook


def to_payment(item: Any) -> Payment:
    return Payment(
        id=item.id,
        owner_id=item.owner_id,
        booking_id=item.booking_id,
        amount=Money(int(item.amount.amount), item.amount.currency),
        status=item.status,
        provider=item.provider,
        provider_reference=item.provider_reference,
        amount_refunded=int(item.amount_refunded or 0),
        created_at=parse_iso(item.created_at),
        updated_at=parse_iso(item.updated_at),
        version=int(item.version),
        failure_reason=item.failure_reason,
        refund_due=None if item.refund_due is None else int(item.refund_due),
    )


class PaymentRepository(Repository):
    def _item(self, p: Payment) -> Any:
        item = new_item(
            self.models.Payment,
            id=p.id,
            owner_id=p.owner_id,
            booking_id=p.booking_id,
            amount=MoneyMap(amount=p.amount.amount, currency=p.amount.currency),
            status=p.status,
            provider=p.provider,
            provider_reference=p.provider_reference,
            amount_refunded=p.amount_refunded,
            failure_reason=p.failure_reason,
            refund_due=p.refund_due,
            created_at=iso(p.created_at),
            updated_at=iso(p.updated_at),
        )
        if p.version:
            item.version = p.version
        return item

    def get(self, payment_id: str) -> Payment:
        return to_payment(self._get(GET_PAYMENT, self.models.Payment, payment_id=payment_id))

    def get_for_owner(self, owner_id: str, payment_id: str) -> Payment:
        return to_payment(self._get_owned(GET_PAYMENT, self.models.Payment, owner_id, payment_id=payment_id))

    def list_for_owner(self, owner_id: str, limit: int, cursor: str | None) -> Page[Payment]:
        items, next_cursor = self._query(
            LIST_OWNER_PAYMENTS,
            self.models.Payment,
            scope=owner_id,
            params={"owner_id": owner_id},
            limit=limit,
            cursor=cursor,
        )
        return Page([to_payment(i) for i in items], next_cursor)

    def reserve(
        self,
        payment: Payment,
        booking: Booking,
        hold_until: datetime | None = None,
        roster_days: tuple[date, ...] = (),
    ) -> Payment:
        """Write the payment and link it to the pending booking, both or neither.

        The link is conditioned on the booking's version: the payment's amount is the price of
        exactly the booking that was read, so a reschedule that lands first (another price)
        makes this fail, and the caller prices the booking again. ``hold_until`` moves the
        unpaid hold's deadline (index key and roster days with it) in the same transaction.
        """
        m = self.models
        B = m.Booking
        tx = Tx(self.store)
        tx.put("payment", self._item(payment), m.Payment.pk.does_not_exist())
        booking_item = key_item(B, id=booking.id)
        booking_item.version = booking.version  # version-checked, and incremented
        actions: list[Action] = [B.payment_id.set(payment.id)]
        if hold_until is not None:
            stamp = iso(hold_until)
            actions += [B.hold_expires_at.set(stamp), *self._hold_index(B, booking, stamp)]
            Day = m.BookingDay
            for day in roster_days:
                day_item = key_item(Day, booking_id=booking.id, day=day.isoformat())
                tx.update(f"day:{day.isoformat()}", day_item, [Day.hold_expires_at.set(stamp)], Day.pk.exists())
        tx.update(
            "booking",
            booking_item,
            actions,
            B.payment_id.does_not_exist() & (B.status == BookingStatus.PENDING) & (B.owner_id == booking.owner_id),
        )
        try:
            tx.commit()
        except TransactionFailed as exc:
            raise AlreadyLinked() from exc
        return replace(payment, version=1)

    def extend_hold(self, booking: Booking, hold_until: datetime, roster_days: tuple[date, ...]) -> bool:
        """Move a pending booking's hold deadline (a payment is being resumed); False if the
        booking changed meanwhile (then the caller's next read decides)."""
        m = self.models
        B, Day = m.Booking, m.BookingDay
        stamp = iso(hold_until)
        tx = Tx(self.store)
        item = key_item(B, id=booking.id)
        item.version = booking.version
        actions: list[Action] = [B.hold_expires_at.set(stamp), *self._hold_index(B, booking, stamp)]
        tx.update("booking", item, actions, B.status == BookingStatus.PENDING)
        for day in roster_days:
            day_item = key_item(Day, booking_id=booking.id, day=day.isoformat())
            tx.update(f"day:{day.isoformat()}", day_item, [Day.hold_expires_at.set(stamp)], Day.pk.exists())
        try:
            tx.commit()
        except TransactionFailed:
            return False
        return True

    @staticmethod
    def _hold_index(model: Any, booking: Booking, deadline: str) -> list[Action]:
        """The pending booking's entry in the sparse hold index, at its new deadline."""
        return index_key_actions(model, "gsi3", id=booking.id, status=BookingStatus.PENDING, hold_expires_at=deadline)

    def update(self, current: Payment, changed: Payment) -> Payment:
        item = self._item(changed)
        item.version = current.version
        tx = Tx(self.store)
        tx.put("payment", item)
        try:
            tx.commit()
        except TransactionFailed as exc:
            raise ConcurrentUpdate("the payment was changed by another request") from exc
        return replace(changed, version=current.version + 1)

    def transaction(self) -> Tx:
        """A new transaction, for a payment change that must commit together with other writes."""
        return Tx(self.store)

    def add_payment_update(self, tx: Tx, current: Payment, changed: Payment) -> Payment:
        item = self._item(changed)
        item.version = current.version
        tx.put("payment", item)
        return replace(changed, version=current.version + 1)

    def add_event_marker(self, tx: Tx, event_id: str, event_type: str, outcome: str, now: datetime) -> None:
        m = self.models.ProviderEvent
        marker = new_item(
            m,
            event_id=event_id,
            event_type=event_type,
            outcome=outcome,
            processed_at=iso(now),
            expiration=now + EVENT_RETENTION,
        )
        tx.put("event", marker, m.pk.does_not_exist())

    def event_seen(self, event_id: str) -> bool:
        m = self.models.ProviderEvent
        try:
            m.get(*m.declaration.key(event_id=event_id), consistent_read=True)
            return True
        except m.DoesNotExist:
            return False

    def commit_event(self, tx: Tx) -> None:
        try:
            tx.commit()
        except TransactionFailed as exc:
            if "event" in exc.failed:
                raise EventAlreadyProcessed() from exc
            if "booking" in exc.failed:
                raise InvalidTransition("the booking changed state meanwhile") from exc
            if "schedule" in exc.failed:
                raise ConcurrentUpdate("the dog's schedule changed meanwhile") from exc
            full = sorted(label.split(":", 1)[1] for label in exc.failed if label.startswith("capacity:"))
            if full:
                # Only a late payment re-taking an expired hold's places adds to the counters here.
                raise CapacityFull(f"no places left on {', '.join(full)}") from exc
            raise ConcurrentUpdate(f"the event could not be applied ({', '.join(exc.failed)})") from exc


__all__ = ["Action", "AlreadyLinked", "EventAlreadyProcessed", "PaymentRepository", "to_payment"]
