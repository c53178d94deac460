"""The `presswash` command as a user runs it (in-process for speed; one subprocess run checks the entry point)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"
SAMPLE = EXAMPLES / "000_ad5899ca170648f4.txt"


def test_clean_prints_text_and_explains(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean", str(SAMPLE), "--explain"]) == 0
    out = capsys.readouterr().out
    body, _, explained = out.partition("--- removed ---")
    assert "Have a tip we should know?" not in body
    assert "[prompt.news-tip] line 24: Have a tip we should know?" in explained
    assert "[meta.filed-under]" in explained


def test_clean_keeps_curly_quotes_unless_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "q.txt"
    f.write_text("He said “yes” and left, as reporters waited outside the courthouse for a statement.\n")
    main(["clean", str(f), "--min-words", "1"])
    assert "“yes”" in capsys.readouterr().out
    main(["clean", str(f), "--min-words", "1", "--uncurl-quotes"])
    assert '"yes"' in capsys.readouterr().out


def test_rules_lists_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "social.follow-prompt" in out and "meta.filed-under" in out


def test_missing_source_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clean", str(tmp_path / "nope.txt")]) == 2
    assert "error" in capsys.readouterr().err


def test_run_to_local_directory(prefect_harness: None, tmp_path: Path) -> None:
    # (no capsys around flow runs: Prefect's console handler would keep writing to the closed capture)
    from flows import reader

    dest = tmp_path / "out"
    assert main(["run", str(EXAMPLES), str(dest), "--run-id", "cli", "--quiet"]) == 0
    manifest = reader.manifest(str(dest), "cli")
    assert manifest["counts"]["docs_in"] == 9
    assert (dest / manifest["prefix"] / "manifest.json").is_file() and manifest["prefix"].endswith("/run=cli")


def test_console_script_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "clean", str(SAMPLE)], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.rstrip().endswith("not 12/28 as Spicer told them.")


_RUN_WITHOUT_SERVER_CODE = """
import json, sys
from flows.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "server_code_loaded": "prefect.server.api.server" in sys.modules}))
"""


def test_run_starts_prefects_server_without_loading_its_code(tmp_path: Path) -> None:
    """A fresh `presswash run` with no Prefect API configured: Prefect's temporary API server runs (in its own
    process) and the run completes, but the flow process never imports the server's code (~75 MB)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # its own database; no profile with an API URL
    dest = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-c", _RUN_WITHOUT_SERVER_CODE, "run", str(EXAMPLES), str(dest),
                           "--run-id", "fresh", "--quiet"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "server_code_loaded": False}
    assert any(dest.rglob("manifest.json"))
