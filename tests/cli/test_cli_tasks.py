"""`restext train` with several tasks (--task, --label-column TASK=COLUMN) and word vectors (--embeddings)."""

import json

import numpy as np
import pytest

from keras_restext.cli.main import main
from tests.training.helpers import texts_and_labels, write_tsv

COMMON = ["--preset", "restext_small", "--epochs", "1", "--learning-rate", "0.01", "--verbose", "0"]


def test_one_file_per_task_then_predict_and_evaluate(tmp_path, capsys):
    sentiment = {split: write_tsv(tmp_path / f"s_{split}.tsv", rows, seed=seed)
                 for split, rows, seed in (("train", 200, 0), ("test", 40, 1))}  # fmt: skip
    mood = {split: write_tsv(tmp_path / f"m_{split}.tsv", rows, seed=seed, classes=3)
            for split, rows, seed in (("train", 200, 2), ("test", 40, 3))}  # fmt: skip
    export = tmp_path / "savedmodels" / "two"
    code = main([
        "train", "--task", f"sentiment={sentiment['train']},test={sentiment['test']}",
        "--task", f"mood={mood['train']},test={mood['test']},label=label", "--loss-weight", "mood=0.5",
        *COMMON, "--output", str(tmp_path / "run"), "--export", str(export),
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "restext: done in" in out and "test sentiment " in out and "mood " in out
    card = (export / "1" / "model_card.md").read_text()
    assert "mood (loss weight 0.5)" in card and "`sentiment_label`" in card

    assert main(["predict", "--model", str(export), "great superb witty film"]) == 0
    fields = capsys.readouterr().out.rstrip("\n").split("\t")
    # Each task's label and probability, tasks sorted by name, then the text.
    assert fields[0].startswith("mood=") and fields[2].startswith("sentiment=") and fields[-1] == "great superb witty film"
    assert main(["predict", "--model", str(export), "--json", "--top-k", "2", "a text"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert set(record) == {"text", "sentiment", "mood"} and len(record["mood"]["top_k"]) == 2

    assert main(["evaluate", "--model", str(export), "--data", str(mood["test"]), "--label-column", "mood=label",
                 "--json"]) == 0  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["tasks"]["mood"]["examples"] == 40
    assert main(["evaluate", "--model", str(export), "--data", str(mood["test"])]) == 2
    assert "multi-task model (tasks" in capsys.readouterr().err


def test_label_columns_of_one_file(tmp_path, capsys):
    texts, sentiments = texts_and_labels(200, seed=0)
    _, moods = texts_and_labels(200, seed=0, classes=3)
    rows = ["text,sentiment,mood"] + [
        f"{t},{s if i % 7 else ''},{m if i % 5 else ''}" for i, (t, s, m) in enumerate(zip(texts, sentiments, moods))
    ]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = main([
        "train", "--train", str(path), "--label-column", "sentiment=sentiment", "--label-column", "mood=mood",
        *COMMON, "--validation-fraction", "0.1", "--output", str(tmp_path / "run"),
    ])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "rows have no 'sentiment' label (masked for it)" in captured.out
    assert "validation sentiment " in captured.out
    assert (tmp_path / "run" / "model.keras").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--task", "a=x.csv", "--train", "y.csv"], "--task gives each task its own files"),
        (["--task", "a=x.csv", "--loss-weight", "b=2"], "--loss-weight names the task 'b'"),
        (["--label-column", "a=label"], "give --train"),
        ([], "give --train (one task), or --task"),
        (["--train", "x.csv", "--freeze-grown"], "--freeze-grown needs --progressive"),
    ],
)
def test_bad_task_options(argv, message, capsys):
    assert main(["train", *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_task_syntax_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--task", "a=x.csv,tset=y.csv"])
    assert exit_info.value.code == 2
    assert "'tset=y.csv' is not KEY=VALUE" in capsys.readouterr().err


def test_embeddings(tmp_path, capsys):
    train = write_tsv(tmp_path / "train.tsv", 200, seed=0)
    vectors = tmp_path / "vectors.vec"
    rng = np.random.default_rng(0)
    vectors.write_text("".join(f"{w} {' '.join(f'{v:.3f}' for v in rng.normal(size=4))}\n"
                               for w in ("great", "boring", "word1", "absent")), encoding="utf-8")  # fmt: skip
    code = main(["train", "--train", str(train), "--embeddings", str(vectors), "--embeddings-mode", "static",
                 *COMMON, "--output", str(tmp_path / "run")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "word vectors cover 3/" in out and "frozen (static)" in out and "embedding_dim 32 -> 4" in out

    bad = tmp_path / "bad.vec"
    bad.write_text("great 0.1 0.2\nboring 0.1 oops\n", encoding="utf-8")
    code = main(["train", "--train", str(train), "--embeddings", str(bad), *COMMON, "--output", str(tmp_path / "r2")])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.vec:2: value 'oops' is not a number" in err
