"""What the sequences area shows: its sequences with their enrolments counted by status, one
sequence as its document, its enrolments a page at a time, and what each step achieved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from evergreen.audience import queries as audience_queries
from evergreen.mail import queries as mail_queries
from evergreen.networks import queries as networks_queries
from evergreen.sequences.errors import SequenceInputError
from evergreen.sequences.models import Enrolment, Sequence
from evergreen.sequences.rules import (
    Goal,
    Send,
    parse_program,
    parse_trigger,
    webinar_in_view,
)
from evergreen.sequences.rules.words import step_words, trigger_words
from evergreen.sequences.service.sequences import message_ids

__all__ = [
    "PER_PAGE",
    "EnrolmentLine",
    "EnrolmentPage",
    "SequenceCard",
    "SequenceDetail",
    "StepNumbers",
    "analytics",
    "detail",
    "enrolment_line",
    "enrolments",
    "sequences",
]

PER_PAGE = 50


@dataclass(frozen=True)
class SequenceCard:
    """One sequence as the CLI and pages show it."""

    id: int
    name: str
    status: str
    list_id: int | None
    trigger: dict[str, Any]
    steps: int
    enrolments: dict[str, int] = field(default_factory=dict)
    list_name: str = ""
    webinar: str = ""  # whose session `{{ webinar.… }}` prints ("": each person's latest)

    @property
    def trigger_words(self) -> str:
        """The trigger as a phrase."""
        return _trigger_words(self.trigger)

    def show(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "name": self.name,
            "list": self.list_name,
            "trigger_words": self.trigger_words,
            "status": self.status,
            "list_id": self.list_id,
            "trigger": self.trigger,
            "steps": self.steps,
            "enrolments": self.enrolments,
            "webinar": self.webinar,
        }


def sequences(session: Session, only: int | None = None) -> list[SequenceCard]:
    """Every sequence by name (or the one with id `only`), its enrolments counted by status."""
    lists = dict(audience_queries.list_choices(session))
    counting = select(Enrolment.sequence_id, Enrolment.status, func.count()).group_by(
        Enrolment.sequence_id, Enrolment.status
    )
    rows = select(Sequence).order_by(Sequence.name)
    if only is not None:
        counting, rows = (
            counting.where(Enrolment.sequence_id == only),
            rows.where(Sequence.id == only),
        )
    counts: dict[int, dict[str, int]] = {}
    for sequence_id, status, number in session.execute(counting):
        counts.setdefault(sequence_id, {})[status] = number
    return [
        SequenceCard(
            row.id,
            row.name,
            row.status,
            row.list_id,
            dict(row.trigger),
            len(row.program.get("steps") or []),
            counts.get(row.id, {}),
            lists.get(row.list_id, "") if row.list_id is not None else "",
            _in_view(row),
        )
        for row in session.scalars(rows)
    ]


def _in_view(row: Sequence) -> str:
    try:
        return webinar_in_view(parse_trigger(row.trigger), parse_program(row.program))
    except SequenceInputError:
        return ""


def _trigger_words(trigger: dict[str, Any]) -> str:
    try:
        return trigger_words(parse_trigger(trigger))
    except SequenceInputError:
        return "an unreadable trigger"


@dataclass(frozen=True)
class SequenceDetail:
    """One sequence: its card, its document as the API takes it, and its steps in words."""

    card: SequenceCard
    document: dict[str, Any]
    messages: dict[str, int]  # reference → mail message id
    lines: list[tuple[str, str, str]]  # (step id, kind, words)
    activated_at: datetime | None

    def show(self) -> dict[str, Any]:
        """The JSON form: the card, the editable document and the steps in words."""
        return self.card.show() | {
            "document": self.document,
            "message_ids": self.messages,
            "timeline": [{"id": i, "kind": k, "words": w} for i, k, w in self.lines],
            "activated_at": self.activated_at.isoformat() if self.activated_at else None,
        }


def detail(session: Session, sequence_id: int) -> SequenceDetail | None:
    """One sequence with its messages' texts, or None."""
    row = session.get(Sequence, sequence_id)
    if row is None:
        return None
    card = sequences(session, sequence_id)[0]
    refs = message_ids(session, sequence_id)
    texts = mail_queries.step_messages(session, list(refs.values()))
    messages = {
        ref: {"subject": texts[i].subject, "body": texts[i].body, "format": texts[i].format}
        for ref, i in sorted(refs.items())
        if i in texts
    }
    program = parse_program(row.program)
    subjects = {ref: text["subject"] for ref, text in messages.items()}
    lines = [(step.id, type(step).__name__, step_words(step, subjects)) for step in program.steps]
    document = {"trigger": dict(row.trigger), "steps": row.program["steps"], "messages": messages}
    return SequenceDetail(card, document, refs, lines, row.activated_at)


@dataclass(frozen=True)
class EnrolmentLine:
    """One person in a sequence: where they stand, when next, and why they left."""

    email: str
    status: str
    step_id: str | None
    due_at: datetime | None
    exit_reason: str
    steps_done: int
    enrolled_at: datetime

    def show(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "email": self.email,
            "status": self.status,
            "step_id": self.step_id,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "exit_reason": self.exit_reason,
            "steps_done": self.steps_done,
            "enrolled_at": self.enrolled_at.isoformat(),
        }


@dataclass(frozen=True)
class EnrolmentPage:
    """A page of enrolments, newest first, and how many there are in all."""

    rows: list[EnrolmentLine]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def enrolments(
    session: Session, sequence_id: int, page: int = 1, status: str = "", per_page: int = PER_PAGE
) -> EnrolmentPage:
    """One page of the sequence's enrolments, newest first, optionally of one status."""
    where = [Enrolment.sequence_id == sequence_id]
    if status:
        where.append(Enrolment.status == status)
    total = int(session.scalar(select(func.count()).select_from(Enrolment).where(*where)) or 0)
    rows = list(
        session.scalars(
            select(Enrolment)
            .where(*where)
            .order_by(Enrolment.id.desc())
            .offset((max(page, 1) - 1) * per_page)
            .limit(per_page)
        )
    )
    return EnrolmentPage(_lines(session, rows), total, max(page, 1), per_page)


def enrolment_line(session: Session, enrolment_id: int) -> EnrolmentLine | None:
    """One enrolment as the table shows it, or None."""
    row = session.get(Enrolment, enrolment_id)
    return None if row is None else _lines(session, [row])[0]


def _lines(session: Session, rows: list[Enrolment]) -> list[EnrolmentLine]:
    emails = audience_queries.emails_of(session, [r.subscriber_id for r in rows])
    return [
        EnrolmentLine(
            emails.get(r.subscriber_id, "(erased)"),
            r.status,
            (r.position or {}).get("step_id"),
            r.due_at,
            r.exit_reason,
            r.steps_done,
            r.created_at,
        )
        for r in rows
    ]


@dataclass
class StepNumbers:
    """What one step achieved: people who reached it, and for a Send step what the mail did.

    `entered` counts enrolments that passed the step (a Send: sent or skipped as too late);
    `waiting` those whose next step it is. Conversions and earnings are the affiliate network
    commissions whose sub1 names the step's message (the composer tags links with b<id>).
    """

    id: str
    kind: str
    words: str
    entered: int = 0
    waiting: int = 0
    sent: int = 0
    queued: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    conversions: int = 0
    earnings: dict[str, str] = field(default_factory=dict)
    exited: int = 0

    def show(self) -> dict[str, Any]:
        """The JSON form."""
        return dict(self.__dict__)


def _earnings(session: Session, message_ids: list[int]) -> dict[int, tuple[int, dict[str, str]]]:
    """Conversions and earnings by currency of each message's links (sub1 = b<message id>)."""
    wanted = {f"b{i}": i for i in message_ids}
    found: dict[int, tuple[int, dict[str, str]]] = {}
    for row in networks_queries.earnings(session, "sub1"):
        message_id = wanted.get(row.key)
        if message_id is None or not row.conversions:
            continue
        count, money = found.get(message_id, (0, {}))
        money[row.currency] = f"{row.approved + row.pending:.2f}"
        found[message_id] = (count + row.conversions, money)
    return found


def analytics(session: Session, sequence_id: int) -> dict[str, Any]:
    """Per step and in total: entered, sent, clicked, unsubscribed, conversions, goal exits."""
    info, stored = detail(session, sequence_id), session.get(Sequence, sequence_id)
    if info is None or stored is None:
        return {}
    program = parse_program(stored.program)
    passed: dict[str, int] = {}
    waiting: dict[str, int] = {}
    exits: dict[str, int] = {}
    for position, status, reason in session.execute(
        select(Enrolment.position, Enrolment.status, Enrolment.exit_reason)
        .where(Enrolment.sequence_id == sequence_id)
        .execution_options(yield_per=1000)
    ):
        for step_id in (position or {}).get("sent") or []:
            passed[step_id] = passed.get(step_id, 0) + 1
        if status == "active" and (position or {}).get("step_id"):
            waiting[position["step_id"]] = waiting.get(position["step_id"], 0) + 1
        if status == "exited":
            exits[reason] = exits.get(reason, 0) + 1
    ids = list(info.messages.values())
    mail_numbers = mail_queries.message_numbers(session, ids)
    opt_outs = audience_queries.opt_outs_by_message(session, ids)
    money = _earnings(session, ids)
    goals = [step.id for step in program.steps if isinstance(step, Goal)]
    rows: list[StepNumbers] = []
    for (step_id, kind, words), step in zip(info.lines, program.steps, strict=True):
        row = StepNumbers(step_id, kind, words, waiting=waiting.get(step_id, 0))
        if isinstance(step, Send) and step.message_ref in info.messages:
            message_id = info.messages[step.message_ref]
            numbers = mail_numbers.get(message_id, {})
            row.entered = passed.get(step_id, 0)
            row.sent = numbers.get("sent", 0)
            row.queued = sum(numbers.get(k, 0) for k in ("queued", "deferred", "claimed"))
            row.clicked = numbers.get("clicked", 0)
            row.unsubscribed = opt_outs.get(message_id, 0)
            row.conversions, row.earnings = money.get(message_id, (0, {}))
        elif isinstance(step, Goal) and len(goals) == 1:
            row.exited = exits.get("goal reached", 0)
        rows.append(row)
    totals: dict[str, Any] = {
        "enrolled": sum(info.card.enrolments.values()),
        **{k: info.card.enrolments.get(k, 0) for k in ("active", "finished", "exited")},
        "exited_by_goal": exits.get("goal reached", 0),
        "exit_reasons": exits,
        "sent": sum(r.sent for r in rows),
        "clicked": sum(r.clicked for r in rows),
        "unsubscribed": sum(r.unsubscribed for r in rows),
        "conversions": sum(r.conversions for r in rows),
    }
    earned: dict[str, float] = {}
    for r in rows:
        for currency, amount in r.earnings.items():
            earned[currency] = earned.get(currency, 0.0) + float(amount)
    totals["earnings"] = {k: f"{v:.2f}" for k, v in earned.items()}
    totals["earnings_per_subscriber"] = {
        k: f"{v / max(totals['enrolled'], 1):.2f}" for k, v in earned.items()
    }
    return {"steps": [r.show() for r in rows], "totals": totals}
