"""hold-sweeper: run by an EventBridge schedule every minute, never by a request.

Expires the unpaid holds whose deadline has passed and releases their places
(``dogcare.services.holds``). Each run does a bounded amount of work (``DOGCARE_SWEEP_BATCH``
holds at most); whatever is left is picked up by the next run a minute later.
"""

from __future__ import annotations

from typing import Any

from dogcare.domain.actor import HOLD_SWEEPER
from handlers.common import runtime
from handlers.common.observability import count, logger, metrics
from handlers.gc_pause import released_after_first_call


def sweep() -> dict[str, Any]:
    """One sweep with this container's library (shared with ``dogcare serve``'s sweeper thread)."""
    result = runtime.dogcare().holds.sweep(HOLD_SWEEPER)
    return {"expired": len(result.expired), "skipped": result.skipped, "more": result.more}


@released_after_first_call
@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    summary = sweep()
    count("HoldsExpired", summary["expired"])
    logger.info("holds swept", extra=summary)
    return summary
