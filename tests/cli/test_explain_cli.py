import csv
import json
from html.parser import HTMLParser

import numpy as np
import pytest

from keras_restext.cli.main import main
from keras_restext.explain import explain
from tests.explain.tiny import sentences, trained


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run folder holding the serving model.keras of a tiny trained classifier, and that classifier."""
    folder = tmp_path_factory.mktemp("run")
    classifier = trained()
    classifier.serving_model().save(str(folder / "model.keras"))
    return folder, classifier


def test_explain_prints_json_lines_that_match_the_library(run_folder, capsys):
    folder, classifier = run_folder
    texts = ["the film was very fine", "a dull plot"]
    assert main(["explain", "--model", str(folder), *texts, "--json", "--steps", "16"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = explain(classifier, texts, steps=16)
    assert [r["label"] for r in records] == [e.label for e in expected]
    for record, explanation in zip(records, expected):
        np.testing.assert_allclose(record["attributions"], explanation.attributions, atol=1e-5)


def test_explain_writes_an_html_page_and_plain_text_off_a_tty(run_folder, tmp_path, capsys):
    folder, _ = run_folder
    (tmp_path / "texts.txt").write_text("the film was very fine\n\na dull plot\n", encoding="utf-8")
    page = tmp_path / "page.html"
    assert main(["explain", "--model", str(folder), "--file", str(tmp_path / "texts.txt"), "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "\033[" not in out and out.count("explaining") == 2
    parser = HTMLParser()
    parser.feed(page.read_text(encoding="utf-8"))  # well-formed enough to parse
    assert page.read_text(encoding="utf-8").count('class="w"') == 5 + 3


@pytest.mark.parametrize(
    "argv, expected",
    [(["--class", "maybe", "fine"], "--class must be one of the model's classes: neg, pos. Received: --class maybe"),
     (["  "], "a text without any token at index 0"),
     ([], "no text to explain")],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(run_folder, argv, expected, capsys, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    folder, _ = run_folder
    assert main(["explain", "--model", str(folder), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("restext: error: ") and err.count("\n") == 1 and expected in err, err


def test_a_saved_model_alone_is_refused_with_what_to_give(tmp_path, capsys):
    (tmp_path / "saved_model.pb").write_bytes(b"")
    assert main(["explain", "--model", str(tmp_path), "fine"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a SavedModel holds no Keras layers to explain" in err
    assert "the run folder of the model" in err and "model.keras" in err


def test_evaluate_errors_writes_the_most_confident_mistakes_first(run_folder, tmp_path, capsys):
    folder, classifier = run_folder
    texts, labels = sentences(60, seed=3)
    labels = [label if i % 4 else {"pos": "neg", "neg": "pos"}[label] for i, label in enumerate(labels)]  # planted
    (tmp_path / "test.tsv").write_text("text\tlabel\n" + "".join(f"{t}\t{l}\n" for t, l in zip(texts, labels)))
    page = tmp_path / "errors.html"
    argv = ["evaluate", "--model", str(folder), "--data", str(tmp_path / "test.tsv"), "--errors", "5",
            "--output", str(tmp_path / "out"), "--html", str(page), "--batch-size", "7"]  # fmt: skip
    assert main(argv) == 0
    assert "most confident mistakes" in capsys.readouterr().out
    with open(tmp_path / "out" / "errors.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    probabilities = classifier.predict(texts)
    names = classifier.preprocessor.labels
    predicted = probabilities.argmax(1)
    wrong = [i for i in range(len(texts)) if names[predicted[i]] != labels[i]]
    expected = sorted(wrong, key=lambda i: (-probabilities[i, predicted[i]], i))[:5]
    assert [int(row["row"]) for row in rows] == expected
    assert all(row["true"] == labels[int(row["row"])] != row["predicted"] for row in rows)
    confidence = [float(row["probability_predicted"]) for row in rows]
    assert confidence == sorted(confidence, reverse=True)
    assert page.read_text(encoding="utf-8").count("<tr>") == len(rows) + 1


def test_evaluate_html_needs_errors(run_folder, tmp_path, capsys):
    folder, _ = run_folder
    (tmp_path / "test.tsv").write_text("text\tlabel\na fine film\tpos\n")
    assert main(["evaluate", "--model", str(folder), "--data", str(tmp_path / "test.tsv"), "--html", "x.html"]) == 2
    assert "give --errors N too" in capsys.readouterr().err
