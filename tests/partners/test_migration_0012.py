"""Migration 0012: the landing page column; released commissions no longer carry hold reasons."""

from __future__ import annotations

import json

from sqlalchemy import text

from evergreen import migrate
from evergreen.db import make_engine

_ROWS = """
INSERT INTO programs (id, name, currency, attribution_model, window_days, holding_days,
  payout_threshold, created_at) VALUES (1, 'p', 'USD', 'last', 30, 30, 50, '2026-01-01 00:00:00');
INSERT INTO partners (id, program_id, name, email, status, "group", payout_method,
  payout_details, visitors, created_at)
  VALUES (1, 1, 'Ana', 'ana@example.com', 'active', '', 'paypal', '{}', '[]',
  '2026-01-01 00:00:00');
INSERT INTO conversions (id, program_id, idempotency_key, event, amount, currency, order_id,
  click_id, coupon, status, note, occurred_at, received_at)
  VALUES (1, 1, 'k', 'sale', 100, 'USD', 'o', '', '', 'attributed', '', '2026-01-01 00:00:00',
  '2026-01-01 00:00:00');
"""
_COMMISSION = """
INSERT INTO commissions (id, program_id, partner_id, conversion_id, kind, amount, currency,
  status, reason, attribution_rule, hold_reasons, created_at)
  VALUES (:id, 1, 1, 1, 'commission', 30, 'USD', :status, '', '', :reasons, '2026-01-01 00:00:00')
"""


def test_released_commissions_lose_their_hold_reasons(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url, "0005")
    engine = make_engine(empty_database_url)
    held = json.dumps(["Self-referral: same email."])
    statuses = {1: "pending", 2: "approved", 3: "paid", 4: "on_hold", 5: "rejected"}
    try:
        with engine.begin() as conn:
            for statement in _ROWS.strip().split(";"):
                if statement.strip():
                    conn.execute(text(statement))
            for cid, status in statuses.items():
                conn.execute(text(_COMMISSION), {"id": cid, "status": status, "reasons": held})
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, hold_reasons FROM commissions ORDER BY id"))
            reasons = {cid: json.loads(r) if isinstance(r, str) else r for cid, r in rows}
            landing = conn.execute(text("SELECT landing_url FROM programs")).scalar_one()
    finally:
        engine.dispose()
    assert reasons == {1: [], 2: [], 3: [], 4: ["Self-referral: same email."],
                       5: ["Self-referral: same email."]}  # fmt: skip
    assert landing == ""
