"""The one capped upload writer: the file appears whole under its name or not at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from evergreen.datafiles import read_chunks, write_capped
from evergreen.errors import InputError


def _watched(folder: Path, seen: list[list[str]]) -> Iterator[bytes]:
    """Three chunks, noting the folder's files before each so a test sees the partial file."""
    for chunk in (b"abc", b"def", b"gh"):
        seen.append(sorted(path.name for path in folder.iterdir()) if folder.exists() else [])
        yield chunk
    seen.append(sorted(path.name for path in folder.iterdir()))


def test_a_whole_upload_is_renamed_into_place_only_when_complete(tmp_path: Path) -> None:
    folder, seen = tmp_path / "area" / "7", list[list[str]]()
    size = write_capped(folder, "doc.pdf", _watched(folder, seen), 8, InputError("file", "big"))
    assert size == 8
    assert (folder / "doc.pdf").read_bytes() == b"abcdefgh"
    assert [path.name for path in folder.iterdir()] == ["doc.pdf"]
    while_writing = seen[1:]  # the partial file exists from the first write, the name never does
    assert all(len(names) == 1 and names[0].endswith(".part") for names in while_writing)
    assert all("doc.pdf" not in names for names in while_writing)


def test_an_upload_past_the_cap_raises_the_given_error_and_leaves_no_file(tmp_path: Path) -> None:
    too_large = InputError("file", "is larger than the cap")
    with pytest.raises(InputError) as refused:
        write_capped(tmp_path, "doc.pdf", iter([b"abcd", b"efgh", b"i"]), 8, too_large)
    assert refused.value is too_large
    assert list(tmp_path.iterdir()) == []


def test_an_upload_exactly_at_the_cap_is_kept(tmp_path: Path) -> None:
    assert write_capped(tmp_path, "a.bin", [b"1234", b"5678"], 8, InputError("f", "big")) == 8
    assert (tmp_path / "a.bin").read_bytes() == b"12345678"


def test_an_empty_upload_is_refused_only_when_an_error_is_given(tmp_path: Path) -> None:
    empty = InputError("file", "is empty")
    with pytest.raises(InputError) as refused:
        write_capped(tmp_path, "none.bin", [], 8, InputError("file", "big"), empty)
    assert refused.value is empty
    assert list(tmp_path.iterdir()) == []
    assert write_capped(tmp_path, "zero.bin", [b""], 8, InputError("file", "big")) == 0
    assert (tmp_path / "zero.bin").read_bytes() == b""


def test_a_failing_source_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise OSError("the connection dropped")

    with pytest.raises(OSError, match="dropped"):
        write_capped(tmp_path, "doc.pdf", broken(), 8, InputError("file", "big"))
    assert list(tmp_path.iterdir()) == []


def test_a_local_file_is_read_in_pieces_of_the_given_size(tmp_path: Path) -> None:
    path = tmp_path / "talk.mp4"
    path.write_bytes(b"0123456789")
    assert list(read_chunks(path, 4)) == [b"0123", b"4567", b"89"]
    assert b"".join(read_chunks(path)) == b"0123456789"
    path.write_bytes(b"")
    assert list(read_chunks(path)) == []
