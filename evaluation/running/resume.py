"""Opening a run's ledger: a new run's, or a resumed run's after checking it is the same evaluation (a run id reused
with other settings must not mix two evaluations in one ledger)."""

from __future__ import annotations

import datetime as dt

from evaluation.ledger import RunLedger
from evaluation.running.errors import EvalConfigError
from evaluation.running.plan import EvalPlan

RUN_IDENTITY_KEYS = (
    "protocol",
    "simulator",
    "tasks",
    "domains",
    "seeds",
    "agent",
    "agent_kwargs",
    "embodiment",
    "base_seed",
    "robotwin",  # the checkout, its revision and task configs (RoboTwin backend)
)


def same_setting(key: str, stored, now) -> bool:
    """Whether a stored run's setting is today's. An agent argument added to the harness after the run started
    (absent from the stored run) that is left at its default, None, changes nothing."""
    if key == "agent_kwargs" and isinstance(stored, dict) and isinstance(now, dict):
        now = {k: v for k, v in now.items() if k in stored or v is not None}
    return stored == now


def open_ledger(plan: EvalPlan) -> RunLedger:
    """A new run's ledger, or the existing one of a resumed run after checking it is the same evaluation."""
    ledger = RunLedger(plan.run_dir)
    if ledger.exists():
        stored = ledger.read_run()
        different = [k for k in RUN_IDENTITY_KEYS if not same_setting(k, stored.get(k), plan.meta.get(k))]
        if different:
            detail = "; ".join(f"{k}: run has {stored.get(k)!r}, now {plan.meta.get(k)!r}" for k in different)
            raise EvalConfigError(f"run {plan.run_id} exists with different settings ({detail}); use another --run-id")
        plan.meta["created_at"] = stored.get("created_at", plan.meta["created_at"])
        plan.meta["resumed_at"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    ledger.write_run(plan.meta)
    ledger.open()
    return ledger
