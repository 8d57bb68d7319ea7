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


def test_help_documents_the_report(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = capsys.readouterr().out
    assert "--execute" in out and "--output" in out and "--max-mb" in out and "mi_html" in out


def test_report_of_a_saved_notebook(tmp_path, capsys):
    import nbformat

    from tests.test_report import attention_view, display_output, notebook_of

    _, view = attention_view()
    nbformat.write(notebook_of(display_output(view)), tmp_path / "saved.ipynb")
    assert main(["report", str(tmp_path / "saved.ipynb"), "--theme", "dark"]) == 0
    assert "1 views, 0 figures, 0 not shown" in capsys.readouterr().out
    text = (tmp_path / "saved.html").read_text(encoding="utf-8")
    assert '<div class="mi-widgets-view" id="mi-view-0"></div>' in text
    assert 'data-jp-theme-light="false"' in text and '"theme":"dark"' in text


def test_report_of_a_missing_notebook_fails_clearly(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope.ipynb")]) == 2
    assert f"no notebook at {tmp_path / 'nope.ipynb'}" in capsys.readouterr().err
