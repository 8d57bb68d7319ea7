import json
import re
import subprocess
import sys

import pytest

from mi_widgets.cli import main


def test_help_documents_the_demo(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "offline" in out
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    assert "--output" in out and "--text" in out


def test_demo_writes_an_offline_report(tmp_path, capsys):
    path = tmp_path / "report.html"
    assert main(["demo", "-o", str(path)]) == 0
    assert str(path.resolve()) in capsys.readouterr().out
    text = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="mi-widgets-data">(.*?)</script>', text, re.S).group(1))
    modules = [view["module"] for view in data["views"]]
    assert modules == ["head_scores", "attention"]
    attention = data["views"][1]["state"]
    assert "highest induction score" in text and f"layer {attention['layer']}" in text
    assert "".join(attention["tokens"]).endswith("at midnight.")
    assert "nats/token" in text  # the loss on copied vs other tokens, measured on the text


def test_the_console_script_runs(tmp_path):
    path = tmp_path / "cli.html"
    done = subprocess.run(
        [sys.executable, "-m", "mi_widgets.cli", "demo", "-o", str(path), "--text", "a b a b"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert path.stat().st_size > 10_000
