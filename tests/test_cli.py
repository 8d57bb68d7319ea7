import json
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import pytest

import mi_widgets as mw
from mi_widgets.cli import DEMO_OUTPUT, DEMO_TEXT, main

REPO = pathlib.Path(__file__).resolve().parents[1]


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


def readme_demo_command() -> list[str]:
    """The arguments of ``mi-widgets`` in the README's first command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first = readme.split("```bash\n", 1)[1].splitlines()[0]
    command = shlex.split(first.split("&&")[-1])
    assert command[0].endswith("mi-widgets"), first
    return command[1:]


def test_readme_first_command_writes_an_expected_ignored_file(tmp_path, monkeypatch, capsys):
    arguments = readme_demo_command()
    assert arguments[0] == "demo"
    output = arguments[arguments.index("-o") + 1] if "-o" in arguments else DEMO_OUTPUT
    assert pathlib.Path(output).name == output, "written in the working directory"
    assert f"writes `{output}` in the current directory" in " ".join(
        (REPO / "README.md").read_text(encoding="utf-8").split()
    )
    if shutil.which("git") and (REPO / ".git").exists():
        ignored = subprocess.run(
            ["git", "-C", str(REPO), "check-ignore", "-q", output], check=False
        )
        assert ignored.returncode == 0, f"{output} in the repository root is not git-ignored"
    monkeypatch.chdir(tmp_path)
    assert main(arguments) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [output]
    assert str((tmp_path / output).resolve()) in capsys.readouterr().out


def test_demo_opens_on_the_top_induction_head_of_its_text(tmp_path):
    path = tmp_path / "report.html"
    assert main(["demo", "-o", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="mi-widgets-data">(.*?)</script>', text, re.S).group(1))
    grid, attention = (view["state"] for view in data["views"])
    trace = mw.trace(*mw.demo_model(), DEMO_TEXT, kinds={"attention"})
    on_text = mw.head_scores(trace)
    layer, head, _ = on_text.top("induction", 1)[0]
    assert (grid["layer_labels"][grid["layer"]], grid["head"]) == (layer, head)
    assert (attention["layer"], attention["head"]) == (grid["layer"], grid["head"])
    assert grid["title"] == on_text.source, "the grid says its scores are of this text"


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
