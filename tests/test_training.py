"""Training runs: the compiled run agrees with the eager one, gradients with finite differences; the CLI."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_lite import datasets
from micrograd_lite.cli import main
from micrograd_lite.training import CompiledLoss, TrainConfig, eager_loss, make_model, recorded_steps, train
from micrograd_lite.trainpage import estimate_bytes, page_html

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "training.md"
SMALL = dict(n_train=30, n_val=12, n_test=30)


def test_the_compiled_run_agrees_with_the_eager_run():
    for data, optimizer in [("yinyang", "adamw"), ("moons", "sgd")]:
        config = TrainConfig(data=data, optimizer=optimizer, steps=15, lr=0.1, **SMALL)
        compiled = train(config)
        eager = train(TrainConfig(**{**config.__dict__, "compiled": False}))
        assert compiled.train_loss == pytest.approx(eager.train_loss, rel=1e-12)
        for a, b in zip(compiled.records, eager.records):
            assert a.params == pytest.approx(b.params, rel=1e-9, abs=1e-12)
            assert a.val_loss == pytest.approx(b.val_loss, rel=1e-12)


def test_the_compiled_gradient_is_the_finite_difference_of_the_mean_loss():
    config = TrainConfig(hidden=(3, 2), **SMALL)
    data = datasets.load("yinyang", **SMALL)
    model, _ = make_model(config, 3)
    loss, grads = CompiledLoss(model, 3)(data.train)
    params = model.parameters()
    for i in (0, 4, len(params) - 1):
        h, saved = 1e-6, params[i].data
        params[i].data = saved + h
        up = eager_loss(model, data.train, want_grads=False)[0]
        params[i].data = saved - h
        down = eager_loss(model, data.train, want_grads=False)[0]
        params[i].data = saved
        assert grads[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9)
    assert loss == pytest.approx(eager_loss(model, data.train)[0], rel=1e-13)


def test_recorded_steps_are_spread_evenly_with_the_first_and_last():
    for steps, record in [(1000, 200), (7, 3), (5, 5), (5, 50), (10, 1), (201, 200)]:
        chosen = recorded_steps(steps, record)
        assert len(chosen) == min(steps, record) and chosen == sorted(set(chosen))
        assert chosen[-1] == steps - 1 and (record == 1 or chosen[0] == 0)


def test_the_docs_state_the_default_runs_exact_test_accuracy(default_run):
    stated = re.search(r"test accuracy of \*\*([\d.]+)%\*\*", DOCS.read_text(encoding="utf-8"))
    assert stated, "docs/training.md must state the default run's test accuracy"
    assert float(stated[1]) == round(100 * default_run.test_accuracy, 2)
    assert default_run.test_accuracy > 0.9


def test_the_size_stated_before_training_is_near_the_page_written(default_run):
    size = len(page_html(default_run).encode())
    assert size < 3_000_000
    assert abs(estimate_bytes(default_run.config, 3) - size) < 0.1 * size
    # A graph of 786 values stated 2.6 MB and wrote 4.9 MB while the estimate counted nodes but not edges.
    for config in [TrainConfig(data="moons", hidden=(4, 3), steps=40, record=40, **SMALL),
                   TrainConfig(hidden=(16, 16), steps=3, **SMALL)]:  # fmt: skip
        size = len(page_html(train(config)).encode())
        assert abs(estimate_bytes(config, len(datasets.DATASETS[config.data][0])) - size) < 0.1 * size


def test_cli_trains_prints_and_writes_csv_and_page(tmp_path, capsys):
    page, table = tmp_path / "train.html", tmp_path / "loss.csv"
    code = main(["train", "--data", "moons", "--steps", "20", "--hidden", "4", "4", "--html", str(page),
                 "--csv", str(table), "--seed", "3"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"the page will be about [\d.]+ MB \(20 recorded steps\)", out)
    assert re.search(r"step +0: train loss [\d.]+, validation loss [\d.]+", out) and "step 19:" in out
    assert re.search(r"test accuracy [\d.]+% \(300 points\)", out)
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 20 and float(rows[0]["train_loss"]) > float(rows[-1]["train_loss"])
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_refuses_a_page_far_over_the_limit_in_one_line_and_writes_nothing(tmp_path, capsys):
    page = tmp_path / "big.html"
    code = main(["train", "--hidden", "64", "64", "--steps", "5", "--html", str(page), "--max-mb", "3"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "over the limit of 3.0 MB" in err and "--record" in err
    assert not page.exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--data", "spiral"], "invalid choice: 'spiral'"),
        (["--lr", "-1"], "must be a positive number"),
        (["--lr", "nan"], "must be a positive number"),
        (["--hidden", "0"], "must be at least 1"),
        (["--optimizer", "lbfgs"], "invalid choice"),
    ],
)
def test_cli_errors_are_one_line(arguments, message, capsys):
    assert main(["train", *arguments]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_diverging_run_is_reported_readably_or_stopped_in_one_line(capsys):
    # lr 1e300 with SGD: the logits run far past where exp overflows; the replay's kept shifts are taken again
    # from the current logits (eager's rule), so the losses stay finite numbers, printed short.
    code = main(["train", "--optimizer", "sgd", "--lr", "1e300", "--steps", "30", "--data", "moons"])
    captured = capsys.readouterr()
    if code == 2:
        assert captured.err.count("\n") == 1 and "training diverged at step" in captured.err
    else:
        assert code == 0 and "test accuracy" in captured.out
        assert all(len(line) < 100 for line in captured.out.splitlines())


def test_the_classifier_benchmark_runs_and_checks_agreement():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_classifier.py"), "--quick"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"compiled is [\d.]+x faster", result.stdout)


def test_the_docs_show_the_pages_screenshots():
    text = DOCS.read_text(encoding="utf-8")
    for image in ("train_page.png", "train_page_small.png"):
        path = ROOT / "docs" / "images" / image
        assert f"images/{image}" in text and 0 < path.stat().st_size < 200_000
    assert "docs/training.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_run_that_blows_up_stops_at_once_in_one_line_and_writes_no_page(tmp_path, capsys):
    # SGD with lr 1e308 sent the parameters to inf and the loss to nan, and trained on for 4 s; the page then
    # failed with "Out of range float values are not JSON compliant".
    page = tmp_path / "train.html"
    code = main(["train", "--optimizer", "sgd", "--lr", "1e308", "--steps", "20", "--html", str(page)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "training diverged at step 1 (lr 1e+308)" in err
    assert not page.exists()


def test_a_missing_dot_is_said_before_training(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz here
    code = main(["train", "--steps", "100000", "--html", str(tmp_path / "train.html")])
    err = capsys.readouterr()
    assert code == 2 and err.err.count("\n") == 1 and "dot" in err.err and "step" not in err.out


def test_an_interrupted_run_writes_neither_page_nor_csv(tmp_path, monkeypatch, capsys):
    from micrograd_lite import training

    calls = []
    real = training.CompiledLoss.__call__

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(training.CompiledLoss, "__call__", interrupted)
    page, table = tmp_path / "train.html", tmp_path / "loss.csv"
    code = main(["train", "--steps", "50", "--html", str(page), "--csv", str(table), "--data", "moons"])
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert not page.exists() and not table.exists() and list(tmp_path.iterdir()) == []
