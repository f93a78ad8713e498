"""`evergreen partners add`: a partner from the command line, with their referral link."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from evergreen.db import Database
from evergreen.partners import queries, service
from evergreen.partners.models import Partner
from evergreen.partners.rules import ProgramSettings
from tests.cli_helpers import evergreen


def test_partners_add_prints_the_referral_link(tmp_path: Path, database_url: str) -> None:
    def run(*args: str) -> tuple[int, str, str]:
        result = evergreen(
            "partners", "add", *args, data_dir=tmp_path, database_url=database_url,
            EVERGREEN_BASE_URL="https://go.example",
        )  # fmt: skip
        assert "Traceback" not in result.stderr + result.stdout
        return result.returncode, result.stdout, result.stderr

    code, out, _ = run("--name", "Bo", "--email", "bo@example.com")
    assert code == 0
    assert "No referral link: set the program's landing page" in out
    db = Database(database_url)
    with db.session() as session:
        program = service.default_program(session)
        landing = ProgramSettings(Decimal(50), landing_url="https://shop.example/")
        service.update_settings(session, program, landing)
    code, out, _ = run("--name", "Ana Lima", "--email", "ana@example.com", "--status", "active")
    assert code == 0
    assert "Referral link: https://go.example/go/ana-lima" in out
    with db.session() as session:
        ana = session.scalars(select(Partner).where(Partner.email == "ana@example.com")).one()
        assert ana.status == "active"
        assert [link.slug for link in queries.links_of(session, ana.id)] == ["ana-lima"]
    db.dispose()
    code, _, err = run("--name", "Ana", "--email", "ana@example.com")
    assert code == 2
    assert "ana@example.com is already a partner" in err
    code, _, err = run("--name", "Cy", "--email", "cy@example.com", "--status", "gone")
    assert code == 2
    assert "status" in err
