"""Settings: defaults, validation messages and the production secret rule."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from evergreen.config import Settings, SettingsError, load_settings, resolve_secret_key

STRONG = "Zr7-kQ2pW9xLm4Tn8Vb1Hc6Ys3Jd0Fg5Ne2Ua9Ko"


def test_production_refuses_a_missing_or_weak_secret() -> None:
    with pytest.raises(ValueError, match="EVERGREEN_SECRET_KEY is required"):
        Settings(env="production")
    for weak, reason in [
        ("short", "at least 32"),
        ("a" * 40, "distinct characters"),
        ("my-evergreen-" + STRONG, "guessable word"),
    ]:
        with pytest.raises(ValueError, match=reason):
            Settings(env="production", secret_key=weak)  # type: ignore[arg-type]
    ok = Settings(env="production", secret_key=STRONG)  # type: ignore[arg-type]
    assert resolve_secret_key(ok) == STRONG


def test_embedded_default_generates_and_keeps_a_private_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = resolve_secret_key(settings)
    assert len(first) >= 48
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret_key(Settings(data_dir=tmp_path / "data")) == first


def test_database_url_defaults_to_sqlite_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'evergreen.db'}"
    pg = Settings(data_dir=tmp_path, database_url="postgres://u@h/db")
    assert pg.sqlalchemy_url == "postgresql+psycopg://u@h/db"


def test_bad_environment_values_are_explained_by_variable_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVERGREEN_DATABASE_URL", "mysql://x")
    monkeypatch.setenv("EVERGREEN_BASE_URL", "ftp://example.com")
    monkeypatch.setenv("EVERGREEN_QUEUE_WORKERS", "lots")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "EVERGREEN_DATABASE_URL: must start with sqlite:/// or postgresql://" in message
    assert "EVERGREEN_BASE_URL: must be an http:// or https:// URL" in message
    assert "EVERGREEN_QUEUE_WORKERS" in message


def test_cookies_are_secure_behind_https() -> None:
    assert Settings(base_url="https://money.example.com/").secure_cookies
    assert Settings(base_url="https://money.example.com/").base_url == "https://money.example.com"
    assert not Settings(base_url="http://127.0.0.1:8000").secure_cookies


def test_the_global_link_fallback_must_be_a_web_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert Settings(data_dir=tmp_path).link_fallback_url is None
    assert Settings(data_dir=tmp_path, link_fallback_url=" ").link_fallback_url is None
    monkeypatch.setenv("EVERGREEN_LINK_FALLBACK_URL", "javascript:alert(1)")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "EVERGREEN_LINK_FALLBACK_URL: must start with http:// or https://" in str(caught.value)


def test_the_queue_name_tells_installations_on_one_redis_apart(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from evergreen.jobs import make_huey

    assert make_huey(Settings(data_dir=tmp_path)).name == "evergreen"
    assert make_huey(Settings(data_dir=tmp_path, queue_name="shop-2")).name == "shop-2"
    monkeypatch.setenv("EVERGREEN_QUEUE_NAME", "My Shop")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "EVERGREEN_QUEUE_NAME: must be 1 to 40 of a-z, 0-9, - and _" in str(caught.value)
