"""The `factbot` CLI: kb validate / import / export, db upgrade, settings errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import bundled_dir, load


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI through its entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "check", "kb", "db"):
        assert command in result.stdout
    for sub in (["kb", "validate"], ["kb", "import"], ["kb", "export"], ["db", "upgrade"], ["check"], ["run"]):
        with pytest.raises(SystemExit) as info:
            main([*sub, "--help"])
        assert info.value.code == 0


def test_validate_bundled_kb(capsys: pytest.CaptureFixture[str]) -> None:
    bundled = len(load([bundled_dir()]).claims)
    assert main(["kb", "validate"]) == 0
    assert f"ok: {bundled} claims in 2 file(s)" in capsys.readouterr().out
    # The bundled KB is curated: every entry has a link, dates and en/uk/ru (CI runs this too).
    assert main(["kb", "validate", "--strict"]) == 0
    assert f"ok: {bundled} claims in 2 file(s)" in capsys.readouterr().out


def test_validate_broken_kb_lists_errors_and_exits_1(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.yaml").write_text("claims:\n  - id: x\n    verdict: maybe\n", encoding="utf-8")
    (kb / "b.yaml").write_text("claims: [\n", encoding="utf-8")
    result = run_cli("kb", "validate", str(kb))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "verdict 'maybe' is not one of" in result.stderr
    assert "claim is required" in result.stderr
    assert "malformed YAML at line" in result.stderr


def test_import_export_round_trip(use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundled = len(load([bundled_dir()]).claims)
    assert main(["kb", "import"]) == 0
    assert capsys.readouterr().out.startswith(f"created {bundled}, updated 0, unchanged 0")
    assert main(["kb", "import"]) == 0
    assert capsys.readouterr().out.startswith(f"created 0, updated 0, unchanged {bundled}")
    out = tmp_path / "export"
    assert main(["kb", "export", str(out)]) == 0
    capsys.readouterr()
    # The export keeps what makes the KB publishable: links, dates and translations.
    assert main(["kb", "validate", "--strict", str(out)]) == 0
    capsys.readouterr()
    assert main(["kb", "import", str(out)]) == 0
    assert capsys.readouterr().out.startswith(f"created 0, updated 0, unchanged {bundled}")


def test_db_upgrade_is_idempotent(use_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_malformed_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_cli("kb", "import", env={"DATABASE_URL": "mysql://nope/x"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "factbot: configuration error: DATABASE_URL: must be a sqlite:// or postgres(ql):// URL, got 'mysql'"
    ]


def test_run_without_token_is_one_line_and_exit_2() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0]


def test_unreachable_database_is_a_clear_error_not_a_hang() -> None:
    result = run_cli("db", "upgrade", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert "cannot connect to the database" in result.stderr
    assert "Traceback" not in result.stderr


BAD_DATE_KB = """claims:
  - id: bad-date
    claim: "c"
    verdict: "false"
    summary: "s"
    published: 2025-13-45
    sources: [{title: "t"}]
  - id: a--b
    claim: "c"
    verdict: "false"
    summary: "s"
    sources: [{title: "t"}]
"""


def test_unquoted_invalid_date_is_a_listed_error_in_every_command(use_db: str, tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.yaml").write_text(BAD_DATE_KB, encoding="utf-8")
    date_error = f"{kb / 'a.yaml'}: entry 1 (bad-date): published '2025-13-45' is not a date (YYYY-MM-DD)"
    id_error = f"{kb / 'a.yaml'}: entry 2 (a--b): id 'a--b' must be lowercase letters and digits in groups joined"
    for command in (["kb", "validate", str(kb)], ["kb", "import", str(kb)], ["check", "--kb", str(kb), "text"]):
        result = run_cli(*command, env={"DATABASE_URL": use_db})
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr, command
        assert date_error in result.stderr.splitlines(), command
        assert id_error in result.stderr, command


STRICT_OK = """claims:
  - id: strict-ok
    claim: "A claim"
    lang: en
    verdict: "false"
    summary: "What is known"
    translations:
      uk: {claim: "Твердження", summary: "Що відомо"}
      ru: {claim: "Утверждение", summary: "Что известно"}
    sources: [{title: "A source", url: "https://example.org/a"}]
    updated: 2025-03-16
"""
STRICT_BAD = """claims:
  - id: strict-bad
    claim: "Утверждение"
    lang: ru
    verdict: "false"
    summary: "Что известно"
    translations:
      uk: {claim: "Твердження", summary: "Що відомо"}
    sources: [{title: "A source without a link"}]
"""


def test_validate_strict_requires_a_link_a_date_and_three_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "ok.yaml").write_text(STRICT_OK, encoding="utf-8")
    assert main(["kb", "validate", "--strict", str(kb)]) == 0
    assert "ok: 1 claims" in capsys.readouterr().out
    (kb / "bad.yaml").write_text(STRICT_BAD, encoding="utf-8")
    assert main(["kb", "validate", str(kb)]) == 0  # valid, just not publishable
    capsys.readouterr()
    assert main(["kb", "validate", "--strict", str(kb)]) == 1
    where = f"{kb / 'bad.yaml'}: entry 1 (strict-bad): strict: "
    assert capsys.readouterr().err.splitlines() == [
        where + "no source has a url (a reader must be able to open one)",
        where + "no published or updated date",
        where + "no en text (add translations.en: {claim, summary})",
        "3 error(s) in 2 file(s)",
    ]
