"""Operator tasks on the stored data, run from the command line while the API serves.

``migrate``: bring every item to the current schema version (a registry of steps).
``reconcile``: re-derive every guard and counter from the bookings and owners, report the
drift, and repair it with conditional writes.

These read whole tables (a strongly consistent Scan, page by page): operator tools, never
on a request path. Every write is conditioned on what was read, so a request that changes
the same item in between wins and the tool reports the item instead of overwriting it.
"""

from dogcare.maintenance.migrate import MIGRATIONS, MigrationResult, MigrationStep, migrate
from dogcare.maintenance.reconcile import Drift, Report, reconcile

__all__ = ["MIGRATIONS", "Drift", "MigrationResult", "MigrationStep", "Report", "migrate", "reconcile"]
