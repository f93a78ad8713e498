"""The program's settings: payout threshold, landing page, refund window, attribution."""

from __future__ import annotations

from sqlalchemy.orm import Session

from evergreen.partners.models import Program
from evergreen.partners.rules import ProgramSettings, check_settings
from evergreen.partners.service.postings import check_stream

__all__ = ["settings_of", "update_settings"]


def settings_of(program: Program) -> ProgramSettings:
    """The program's settings as stored."""
    return ProgramSettings(
        payout_threshold=program.payout_threshold,
        landing_url=program.landing_url,
        holding_days=program.holding_days,
        window_days=program.window_days,
        attribution_model=program.attribution_model,
        stream_id=program.stream_id,
    )


def update_settings(session: Session, program: Program, draft: ProgramSettings) -> Program:
    """Check and store the settings; the next payout uses the new threshold, new partners the
    new landing page, commissions already waiting the new refund window, and the next
    commissions the new stream (entries already posted stay where they are)."""
    checked = check_settings(draft)
    check_stream(session, checked.stream_id)
    program.payout_threshold = checked.payout_threshold
    program.landing_url = checked.landing_url
    program.holding_days = checked.holding_days
    program.window_days = checked.window_days
    program.attribution_model = checked.attribution_model
    program.stream_id = checked.stream_id
    session.flush()
    return program
