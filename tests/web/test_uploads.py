"""The web kit's page-upload pieces: a declared length over the limit is refused before the
body is read, with the route's own words; a posted form's file is read back in pieces."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.datastructures import UploadFile

from evergreen.web.uploads import PostedForm, chunks, length_gate


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/upload")
    def upload(_gate: Annotated[None, length_gate(64, "The file is too large.")]) -> str:
        return "taken"

    @app.post("/form")
    def form(posted: PostedForm) -> int:
        item = posted.get("file")
        assert isinstance(item, UploadFile)
        return sum(len(piece) for piece in chunks(item.file))

    return app


def test_a_declared_length_over_the_limit_is_refused_in_the_routes_words() -> None:
    client = TestClient(_app())
    big = client.post("/upload", content=b"x" * 65)
    assert big.status_code == 413
    assert big.json() == {"detail": "The file is too large."}
    assert client.post("/upload", content=b"x" * 64).json() == "taken"


def test_a_length_that_is_not_a_number_is_left_to_the_body_limit() -> None:
    client = TestClient(_app())
    answer = client.post("/upload", content=b"x" * 65, headers={"content-length": "lots"})
    assert answer.status_code != 413


def test_a_posted_forms_file_is_read_whole() -> None:
    client = TestClient(_app())
    answer = client.post("/form", files={"file": ("a.bin", bytes(3 * 1024 * 1024 + 5))})
    assert answer.json() == 3 * 1024 * 1024 + 5
