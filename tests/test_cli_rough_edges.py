"""What a new user hits first with the CLI: each mistake gets one clear line (or a safe default), never a
traceback or a silent surprise. Through the `factbot` entry point (bot.cli.main)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.loader import bundled_dir, load

BUNDLED = sorted(c.id for c in load([bundled_dir()]).claims)


def one_line(err: str) -> str:
    """The single error line a failing command printed (and no traceback)."""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def kb_with(tmp_path: Path, keep: int) -> Path:
    """A knowledge folder with the first `keep` bundled entries only."""
    import yaml

    data = yaml.safe_load((bundled_dir() / "claims" / "kursk.yaml").read_text(encoding="utf-8"))
    data["claims"] = [c for c in data["claims"] if c["id"] in BUNDLED[:keep]]
    folder = tmp_path / f"kb-{keep}"
    folder.mkdir()
    (folder / "part.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


# --- kb export ---------------------------------------------------------------------------------------------


def test_claimreview_export_to_a_folder_or_an_unwritable_path_is_one_line(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "export", "--format", "claimreview", str(tmp_path)]) == 2
    assert one_line(capsys.readouterr().err) == (
        f"factbot: {tmp_path} is a folder: give a file name, e.g. {tmp_path / 'claimreview.json'}"
    )
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(["kb", "export", "--format", "claimreview", str(blocker / "out.json")]) == 1
    assert one_line(capsys.readouterr().err).startswith(f"factbot: cannot write {blocker / 'out.json'}: ")


def test_yaml_export_never_duplicates_the_ids_of_a_knowledge_folder(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import"]) == 0
    kb_copy = tmp_path / "kb"
    shutil.copytree(bundled_dir(), kb_copy)
    before = {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")}
    assert main(["kb", "export", str(kb_copy)]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"factbot: {kb_copy} already holds 1 knowledge file(s)") and "twice" in line
    assert {p: p.read_bytes() for p in kb_copy.rglob("*.yaml")} == before  # nothing written

    fresh = tmp_path / "fresh"
    assert main(["kb", "export", str(fresh)]) == 0
    assert main(["kb", "export", str(fresh)]) == 0  # a previous export is replaced, not added to
    capsys.readouterr()
    assert [p.name for p in fresh.rglob("*.yaml")] == ["claims.yaml"]
    assert main(["kb", "validate", str(fresh)]) == 0
    assert capsys.readouterr().out.startswith(f"ok: {len(BUNDLED)} claims in 1 file(s)")


# --- kb import --prune --------------------------------------------------------------------------------------


def test_prune_lists_what_it_would_delete_and_needs_yes(
    use_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["kb", "import"]) == 0  # the bundled KB
    capsys.readouterr()
    partial = kb_with(tmp_path, keep=3)
    gone = BUNDLED[3:]

    assert main(["kb", "import", "--prune", str(partial)]) == 2
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if line.startswith("would prune: ")] == [
        f"would prune: {claim_id}" for claim_id in gone
    ]
    assert captured.err.strip().splitlines()[-1] == (
        f"factbot: nothing imported: --prune would delete the {len(gone)} entries listed above; "
        "run again with --yes to delete them (or --dry-run to preview)"
    )
    assert main(["kb", "import", "--prune", "--dry-run", str(partial)]) == 0
    assert f"would be pruned {len(gone)}" in capsys.readouterr().out
    assert main(["kb", "validate"]) == 0
    capsys.readouterr()
    assert main(["kb", "import", "--dry-run"]) == 0  # everything is still there: nothing to create
    assert capsys.readouterr().out.startswith("would be created 0, would be updated 0, unchanged")

    assert main(["kb", "import", "--prune", "--yes", str(partial)]) == 0
    assert f"pruned {len(gone)}" in capsys.readouterr().out
    assert main(["kb", "import", "--dry-run"]) == 0  # now the pruned ones would come back
    assert capsys.readouterr().out.startswith(f"would be created {len(gone)}, ")


# --- settings that are probably mistakes ---------------------------------------------------------------------


def test_a_postgresql_url_without_a_database_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:9")  # nothing listens on port 9
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("factbot: warning: DATABASE_URL names no database")
    assert err[-1].startswith("factbot: cannot connect to the database") and len(err) == 2


def test_sqlite_in_a_missing_folder_is_warned_about_except_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not (tmp_path / "data").exists()
    assert main(["db", "upgrade"]) == 0  # the default: FACTBOT_DATA_DIR, created quietly
    assert "warning" not in capsys.readouterr().err
    typo = tmp_path / "dta" / "factbot.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{typo.as_posix()}")
    assert main(["db", "upgrade"]) == 0
    assert one_line(capsys.readouterr().err) == (
        f"factbot: warning: the folder of the SQLite database, {typo.parent}, does not exist; "
        "it will be created (a typo?)"
    )
    assert typo.exists()


def test_a_plain_http_webhook_without_a_secret_is_warned_about(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("WEBHOOK_URL", "http://bot.example.org/telegram")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # refused at once: the run stops
    assert main(["run"]) == 1
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("factbot: warning: ")]
    assert warnings == [
        "factbot: warning: WEBHOOK_URL is plain http: Telegram delivers webhooks only to https URLs",
        "factbot: warning: WEBHOOK_SECRET is not set: set one so that only Telegram can post updates to the webhook",
    ]


# --- check and eval ------------------------------------------------------------------------------------------


def test_check_help_says_cli_checks_are_not_logged(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    assert "Checks made here are not logged" in " ".join(capsys.readouterr().out.split())


def test_eval_reports_labelled_claim_ids_the_kb_does_not_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labelled = tmp_path / "labelled.jsonl"
    records = [
        {"text": "Суджа освобождена", "claim_ids": [BUNDLED[0]]},
        {"text": "anything", "claim_ids": ["no-such-claim", "another-missing-one"]},
    ]
    labelled.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    assert main(["eval", "--labelled", str(labelled), "--kb", str(bundled_dir()), "--json"]) == 0
    captured = capsys.readouterr()
    assert one_line(captured.err) == (
        "warning: 2 labelled claim id(s) are not in the knowledge base (they can never be found): "
        "another-missing-one, no-such-claim"
    )
    assert json.loads(captured.out)["unknown_claim_ids"] == ["another-missing-one", "no-such-claim"]
