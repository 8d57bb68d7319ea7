"""The examples in mi_widgets' docstrings run, on the bundled demo model.

Every docstring of every module under ``mi_widgets`` is collected with :mod:`doctest` and run
as one test, in a temporary working directory, with the module's own globals plus a shared
namespace: ``mw`` (the package), ``model`` and ``tokenizer`` (the demo model), ``text`` (a
line that repeats itself), ``texts`` (the starts of four held-out demo documents), ``trace``
(of ``text``), ``np`` and ``torch``. An example may be skipped only where it cannot run
offline in seconds (it starts a kernel); the docstring says so.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import time

import numpy as np
import pytest
import torch

import mi_widgets as mw

#: What one example may take on average (seconds): docstrings show quick calls, not
#: benchmarks (most take well under 2 s); the margin is for loaded CI runners.
EXAMPLE_BUDGET_S = 10.0
#: The only docstrings whose examples are skipped (each starts a Jupyter kernel).
SKIPPED = {"mi_widgets.export.report.execute_notebook"}
#: Options every example runs with: whitespace and ``...`` as in reprs written by hand.
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules() -> list[str]:
    names = [mw.__name__]
    for info in pkgutil.walk_packages(mw.__path__, prefix=f"{mw.__name__}."):
        names.append(info.name)
    return sorted(names)


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for name in _modules():
        module = importlib.import_module(name)
        tests.extend(test for test in finder.find(module, name) if test.examples)
    return sorted(tests, key=lambda test: test.name)


DOCTESTS = _doctests()


@pytest.fixture(scope="module")
def namespace() -> dict:
    """What every example may use besides its module's globals."""
    model, tokenizer = mw.demo_model()
    text = "key = value; key = value; key ="
    return {
        "mw": mw,
        "np": np,
        "torch": torch,
        "model": model,
        "tokenizer": tokenizer,
        "text": text,
        "texts": [doc[:600] for doc in mw.demo_corpus("eval")[:4]],
        "trace": mw.trace(model, tokenizer, text),
    }


def test_the_package_has_examples() -> None:
    names = {test.name for test in DOCTESTS}
    assert "mi_widgets" in names
    assert "mi_widgets.capture.tracing.trace" in names
    assert sum(len(test.examples) for test in DOCTESTS) >= 90


def test_only_examples_that_need_a_kernel_are_skipped() -> None:
    skipped = {
        test.name
        for test in DOCTESTS
        if any(example.options.get(doctest.SKIP, False) for example in test.examples)
    }
    assert skipped == SKIPPED


@pytest.mark.parametrize("test", DOCTESTS, ids=[test.name for test in DOCTESTS])
def test_docstring_examples(test: doctest.DocTest, namespace: dict, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    test.globs = {**test.globs, **namespace}
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report: list[str] = []
    started = time.perf_counter()
    runner.run(test, out=report.append)
    elapsed = time.perf_counter() - started
    assert runner.failures == 0, "".join(report)
    runs = sum(not example.options.get(doctest.SKIP, False) for example in test.examples)
    assert elapsed <= EXAMPLE_BUDGET_S * max(runs, 1), (
        f"{test.name} took {elapsed:.1f} s for {runs} examples"
    )
