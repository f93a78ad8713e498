"""The registry is the one list of areas: infrastructure loops over it and names none."""

from __future__ import annotations

import re
from pathlib import Path

from evergreen.areas import PLANNED, all_areas, navigation
from evergreen.config import Settings
from evergreen.jobs import build_queue

SRC = Path(__file__).resolve().parent.parent / "src" / "evergreen"
INFRASTRUCTURE = ("web/app.py", "jobs.py", "cli.py", "models.py", "web/templates.py", "web/nav.py")


def _area_names() -> set[str]:
    names = {area.name for area in all_areas()} | {entry.slug for entry in PLANNED}
    return names | {name.rstrip("s") for name in names}  # "link" as well as "links"


def test_infrastructure_names_no_area() -> None:
    words = re.compile(r"\b(" + "|".join(sorted(_area_names())) + r")\b", re.IGNORECASE)
    for name in INFRASTRUCTURE:
        found = words.findall((SRC / name).read_text())
        assert not found, f"{name} names areas: {sorted(set(found))}"


def test_every_area_package_is_registered_with_its_skeleton() -> None:
    registered = {area.name for area in all_areas()}
    packages = {p.parent.name for p in SRC.glob("*/area.py")}
    assert packages == registered
    for area in all_areas():
        if area.templates is not None:
            assert area.templates.is_dir(), area.name
        if area.models is not None:
            area.models()  # importable


def test_navigation_lists_installed_then_planned_areas_in_money_order() -> None:
    entries = navigation()
    slugs = [entry.slug for entry in entries]
    assert len(slugs) == len(set(slugs))
    assert [entry.order for entry in entries] == sorted(entry.order for entry in entries)
    assert {entry.slug for entry in PLANNED} <= set(slugs)
    assert all(not entry.ready for entry in PLANNED)


def test_each_area_registers_its_periodic_tasks_on_the_queue_it_is_given(tmp_path: Path) -> None:
    queue = build_queue(Settings(data_dir=tmp_path))
    names = {task.__name__ for task in queue._registry._periodic_tasks}
    assert {"check_link_health", "approve_held_commissions", "deliver_webhooks"} <= names
    other = build_queue(Settings(data_dir=tmp_path / "other"))
    assert other is not queue
    assert {task.__name__ for task in other._registry._periodic_tasks} == names
