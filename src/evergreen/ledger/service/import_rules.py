"""Saved payee rules: add, change, delete and list them (the owner edits them on /ledger/rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from evergreen.errors import NotFound
from evergreen.ledger.models import ImportRule, Stream
from evergreen.ledger.rules.import_rules import (
    RuleSpec,
    check_pattern,
    check_priority,
    check_rule_account,
)

__all__ = ["RuleDraft", "add_rule", "all_rules", "delete_rule", "get_rule", "rule_specs",
           "update_rule"]  # fmt: skip


@dataclass(frozen=True)
class RuleDraft:
    """What the owner types for a rule; checked by the rules before it is stored."""

    pattern: str
    stream_id: int
    account: str
    regex: bool = False
    priority: int | str = 0


def _checked(session: Session, draft: RuleDraft) -> tuple[str, int, str, int]:
    pattern = check_pattern(draft.pattern, draft.regex)
    account = check_rule_account(draft.account)
    priority = check_priority(draft.priority)
    if session.get(Stream, draft.stream_id) is None:
        raise NotFound("stream", f"there is no stream {draft.stream_id}")
    return pattern, draft.stream_id, account, priority


def add_rule(session: Session, draft: RuleDraft) -> ImportRule:
    """Save a rule; the next import (and preview) uses it."""
    pattern, stream_id, account, priority = _checked(session, draft)
    rule = ImportRule(pattern=pattern, regex=draft.regex, stream_id=stream_id, account=account,
                      priority=priority)  # fmt: skip
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int, *, lock: bool = False) -> ImportRule:
    """A rule by id, or a 404 that says so; `lock`: locked until the unit of work ends and read
    again (a copy read earlier may be of a rule another request deleted meanwhile)."""
    if lock:
        rule = session.get(ImportRule, rule_id, with_for_update=True, populate_existing=True)
    else:
        rule = session.get(ImportRule, rule_id)
    if rule is None:
        raise NotFound("rule", f"there is no rule {rule_id}")
    return rule


def update_rule(session: Session, rule_id: int, draft: RuleDraft) -> ImportRule:
    """Change a rule; entries it already posted stay as they are (the journal is never edited)."""
    rule = get_rule(session, rule_id, lock=True)
    rule.pattern, rule.stream_id, rule.account, rule.priority = _checked(session, draft)
    rule.regex = draft.regex
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    """Forget a rule; what it posted stays in the journal."""
    session.delete(get_rule(session, rule_id, lock=True))
    session.flush()


def all_rules(session: Session) -> list[ImportRule]:
    """Every rule in the order they are tried: highest priority first, then oldest."""
    return list(
        session.scalars(select(ImportRule).order_by(ImportRule.priority.desc(), ImportRule.id))
    )


def rule_specs(session: Session) -> list[RuleSpec]:
    """The rules as plain values for the matcher."""
    return [
        RuleSpec(rule.id, rule.pattern, rule.regex, rule.stream_id, rule.account, rule.priority)
        for rule in all_rules(session)
    ]
