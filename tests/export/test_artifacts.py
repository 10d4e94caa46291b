import json
import math

from keras_restext.data.labels import write_labels
from keras_restext.export.artifacts import read_labels, write_json
from keras_restext.export.card import model_card
from keras_restext.export.plots import plot_confusion_matrix, plot_training_curves, training_curves_figure
from keras_restext.training.metrics import classification_report


def test_plots_are_pngs(tmp_path):
    history = {"epoch": [0, 1, 2], "loss": [0.9, 0.6, 0.5], "val_loss": [0.8, 0.7, 0.7]}
    history.update({"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.6, 0.6, 0.7]})
    plot_training_curves(str(tmp_path / "curves.png"), history)
    plot_confusion_matrix(str(tmp_path / "confusion.png"), [[5, 1], [2, 7]], ["neg", "pos"], title="test")
    for name in ("curves.png", "confusion.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_curves_mark_the_kept_epoch_and_count_whole_epochs():
    history = {"epoch": [0, 1, 2], "loss": [0.9, 0.6, 0.5], "val_loss": [0.8, 0.7, 0.75]}
    history.update({"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.6, 0.7, 0.65]})
    figure = training_curves_figure(history, kept_epoch=2)
    for axes in figure.axes:
        assert "kept: epoch 2" in [line.get_label() for line in axes.lines]
        assert all(float(tick).is_integer() for tick in axes.get_xticks())
    assert list(figure.axes[0].get_xticks()) == [1, 2, 3]
    single = training_curves_figure({"epoch": [0], "loss": [0.9], "accuracy": [0.5]}, kept_epoch=1)
    assert list(single.axes[0].get_xticks()) == [1]  # one epoch: no fractional ticks
    unmarked = training_curves_figure(history)
    assert not any(line.get_label().startswith("kept") for axes in unmarked.axes for line in axes.lines)


def test_a_card_reads_the_same_after_its_config_went_through_json():
    config = {"model": {"stage_filters": (64, 128), "kernel_sizes": ((3, 5), (7,))}, "tokenizer": {"kind": "word"}}
    fresh = model_card(name="m", version=1, labels=["a", "b"], config=config)
    again = model_card(name="m", version=2, labels=["a", "b"], config=json.loads(json.dumps(config)))
    assert "stage_filters=(64, 128), kernel_sizes=((3, 5), (7,))" in fresh

    def model_section(card):
        return card[card.index("## Model"):card.index("## Metrics")]

    assert model_section(fresh) == model_section(again)


def test_labels_and_json_round_trip(tmp_path):
    write_labels(str(tmp_path / "labels.txt"), ["b", "a c"])
    assert read_labels(str(tmp_path / "labels.txt")) == ["b", "a c"]
    write_json(str(tmp_path / "m.json"), {"loss": [math.nan, 0.5]})
    assert json.loads((tmp_path / "m.json").read_text()) == {"loss": [None, 0.5]}


def test_model_card_has_metrics_and_usage():
    report = classification_report([0, 1, 1], [0, 1, 0], ["neg", "pos"])
    card = model_card(
        name="sst2",
        version=3,
        labels=["neg", "pos"],
        metrics={"test": report},
        data={"train": "train.tsv (3 examples)"},
        preset="restext_small",
        config={"model": {"embedding_dim": 32}},
        parameters=1234,
    )
    assert card.startswith("# sst2 (version 3)")
    assert "| test | 3 | 0.6667 |" in card
    assert "- preset: `restext_small`" in card and "- parameters: 1,234" in card
    assert 'model.signatures["serving_default"](text=' in card
    assert "restext predict --model savedmodels/sst2" in card
