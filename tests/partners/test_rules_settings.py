"""Program settings and partner profile edits: what is stored, and what is refused with why."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evergreen.partners.rules import (
    PartnerRuleError,
    ProfileEdit,
    ProgramSettings,
    check_profile,
    check_settings,
)

D = Decimal


def test_good_settings_are_stored_trimmed_and_in_cents() -> None:
    checked = check_settings(
        ProgramSettings(
            payout_threshold=D("25.5"), landing_url="  https://shop.example/?ref=1 ",
            holding_days=0, window_days=365, attribution_model="first",
        )
    )  # fmt: skip
    assert checked == ProgramSettings(D("25.50"), "https://shop.example/?ref=1", 0, 365, "first")
    assert check_settings(ProgramSettings(D(0))).landing_url == ""  # blank: no referral links


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"payout_threshold": D("-1")}, "payout_threshold", "from 0 to"),
        ({"payout_threshold": D("NaN")}, "payout_threshold", "an amount like"),
        ({"payout_threshold": D("Infinity")}, "payout_threshold", "an amount like"),
        ({"payout_threshold": D("1e999")}, "payout_threshold", "from 0 to"),
        ({"payout_threshold": D("10.001")}, "payout_threshold", "whole cents"),
        ({"landing_url": "javascript:alert(1)"}, "landing_url", "http"),
        ({"landing_url": "https://exa mple.com/"}, "landing_url", "spaces"),
        ({"holding_days": -1}, "holding_days", "from 0 to 365"),
        ({"holding_days": 366}, "holding_days", "from 0 to 365"),
        ({"window_days": 0}, "window_days", "from 1 to 365"),
        ({"attribution_model": "linear"}, "attribution_model", "last"),
    ],
)
def test_bad_settings_name_the_field_and_the_fix(
    changes: dict[str, object], field: str, words: str
) -> None:
    draft = ProgramSettings(**{"payout_threshold": D(50), **changes})  # type: ignore[arg-type]
    with pytest.raises(PartnerRuleError) as caught:
        check_settings(draft)
    assert caught.value.field == field
    assert words in caught.value.message


def test_a_profile_edit_trims_and_leaves_missing_fields_alone() -> None:
    edit = check_profile(ProfileEdit(name="  Ana  ", group=" vip ", payout_method="wise"))
    assert edit == ProfileEdit(name="Ana", group="vip", payout_method="wise")
    assert check_profile(ProfileEdit()) == ProfileEdit()


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (ProfileEdit(name="   "), "name"),
        (ProfileEdit(name="x" * 201), "name"),
        (ProfileEdit(group="g" * 51), "group"),
        (ProfileEdit(payout_method="bitcoin"), "payout_method"),
    ],
)
def test_a_bad_profile_edit_names_its_field(edit: ProfileEdit, field: str) -> None:
    with pytest.raises(PartnerRuleError) as caught:
        check_profile(edit)
    assert caught.value.field == field
