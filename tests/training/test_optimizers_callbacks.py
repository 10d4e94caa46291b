import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_restext.training.callbacks import best_epoch, finished_epochs, make_callbacks, progress_verbosity, read_history
from keras_restext.models.optimizers import FusedAdamW, make_optimizer, warmup_cosine_schedule
from tests.training.test_backup import write_fake_backup


def test_schedule_warms_up_linearly_then_decays_by_cosine():
    schedule = warmup_cosine_schedule(1e-3, total_steps=100, warmup_fraction=0.2)
    assert float(schedule(0)) == pytest.approx(0.0)
    assert float(schedule(10)) == pytest.approx(5e-4)
    assert float(schedule(20)) == pytest.approx(1e-3)
    # half-way through the decay (step 20 + 80/2) the cosine is at half the peak
    assert float(schedule(60)) == pytest.approx(5e-4, rel=1e-4)
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)
    rates = [float(schedule(s)) for s in range(20, 101)]
    assert all(a >= b for a, b in zip(rates, rates[1:]))


def test_schedule_without_warmup_starts_at_the_peak():
    assert float(warmup_cosine_schedule(1e-3, 10, warmup_fraction=0.0)(0)) == pytest.approx(1e-3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"learning_rate": 0.0, "total_steps": 10}, "learning_rate"),
        ({"learning_rate": float("inf"), "total_steps": 10}, "`learning_rate` must be a finite number > 0"),
        ({"learning_rate": float("nan"), "total_steps": 10}, "`learning_rate` must be a finite number > 0"),
        ({"learning_rate": 1e-3, "total_steps": 0}, "total_steps"),
        ({"learning_rate": 1e-3, "total_steps": 10, "warmup_fraction": 1.0}, "warmup_fraction"),
    ],
)
def test_schedule_arguments_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        warmup_cosine_schedule(**kwargs)


@pytest.mark.parametrize("weight_decay", [-0.1, float("nan"), float("inf")])
def test_weight_decay_must_be_a_finite_number_at_least_0(weight_decay):
    with pytest.raises(ValueError, match=r"`weight_decay` must be a finite number >= 0. Received: weight_decay="):
        make_optimizer(1e-3, 10, weight_decay=weight_decay)


def test_adamw_does_not_decay_biases():
    optimizer = make_optimizer(1e-2, total_steps=10, weight_decay=0.5, warmup_fraction=0.0)
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    optimizer.build(dense.trainable_variables)
    kernel, bias = dense.kernel, dense.bias
    kernel.assign(np.ones((3, 2), "float32"))
    bias.assign(np.ones((2,), "float32"))
    zeros = [np.zeros((3, 2), "float32"), np.zeros((2,), "float32")]
    optimizer.apply_gradients(zip(zeros, [kernel, bias]))
    assert np.all(np.asarray(kernel) < 1.0)  # decayed
    np.testing.assert_allclose(np.asarray(bias), 1.0)  # not decayed
    assert isinstance(optimizer, FusedAdamW) and isinstance(optimizer, keras.optimizers.AdamW)


class DenseAdamW(keras.optimizers.AdamW):
    """The reference: Keras's AdamW, with a sparse gradient made dense first (Keras's own sparse
    path squares a repeated row's slices one by one, not their sum)."""

    def apply(self, grads, trainable_variables=None):
        grads = [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in grads]
        return super().apply(grads, trainable_variables)


def _steps(optimizer, gradients, table):
    variable = keras.Variable(table)
    for gradient in gradients:
        optimizer.apply([gradient], [variable])
    return np.asarray(variable)


def test_fused_adamw_matches_keras_adamw_on_dense_and_sparse_gradients():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(6, 3)).astype("float32")
    dense = [tf.constant(rng.normal(size=(6, 3)).astype("float32")) for _ in range(3)]
    # An embedding's gradient: rows 4 and 1 (4 twice, its slices add up), then row 0.
    sparse = [
        tf.IndexedSlices(tf.constant(rng.normal(size=(3, 3)).astype("float32")), tf.constant([4, 1, 4]), tf.constant([6, 3])),
        tf.IndexedSlices(tf.constant(rng.normal(size=(1, 3)).astype("float32")), tf.constant([0]), tf.constant([6, 3])),
    ]
    for gradients in (dense, sparse):
        ours = _steps(FusedAdamW(learning_rate=0.1, weight_decay=0.3), gradients, table)
        keras_adamw = _steps(DenseAdamW(learning_rate=0.1, weight_decay=0.3), gradients, table)
        assert not np.allclose(ours, table)
        np.testing.assert_allclose(ours, keras_adamw, rtol=1e-5, atol=1e-6)


def test_fused_adamw_trains_a_model_like_keras_adamw():
    def fit(optimizer):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(10, 4),
                                  keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        x = np.array([[1, 2, 3, 4], [5, 6, 7, 8]] * 8, "int32")
        losses = model.fit(x, np.array([0, 1] * 8), epochs=20, batch_size=8, shuffle=False, verbose=0).history["loss"]
        return losses, [np.asarray(w) for w in model.weights]

    losses, weights = fit(FusedAdamW(learning_rate=5e-2, weight_decay=0.1))
    reference_losses, reference_weights = fit(DenseAdamW(learning_rate=5e-2, weight_decay=0.1))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_allclose(losses, reference_losses, rtol=1e-4)
    for ours, reference in zip(weights, reference_weights):
        np.testing.assert_allclose(ours, reference, rtol=1e-4, atol=1e-5)


def test_callbacks_and_their_folders(tmp_path):
    callbacks = make_callbacks(str(tmp_path / "run"), patience=2, tensorboard=True)
    names = [type(c).__name__ for c in callbacks]
    assert names[:4] == ["TerminateOnNaN", "ResumedEarlyStopping", "BestWeights", "CSVLogger"]
    assert names[4] == "TensorBoard"
    # The backup comes last: an epoch is marked finished after its history row and best weights.
    assert names[5] == "TrainingBackup"
    early = callbacks[1]
    assert early.patience == 2 and early.monitor == "val_accuracy"
    assert callbacks[5].backup_dir == str(tmp_path / "run" / "backup")


def test_resumed_history_drops_epochs_that_were_not_backed_up(tmp_path):
    run = tmp_path / "run"
    write_fake_backup(run / "backup", epoch=3)
    (run / "best.weights.h5").write_bytes(b"")
    with open(run / "history.csv", "w", newline="") as f:
        rows = [["epoch", "loss", "val_accuracy"], [0, 0.9, 0.6], [1, 0.7, 0.8], [2, 0.8, 0.7], [3, 0.6, 0.9]]
        f.write("\r\n".join(",".join(map(str, row)) for row in rows) + "\r\n4,0.5")  # the kill cut epoch 4's row
    assert finished_epochs(str(run)) == 3
    callbacks = make_callbacks(str(run), tensorboard=False)
    assert read_history(str(run)) == {"epoch": [0.0, 1.0, 2.0], "loss": [0.9, 0.7, 0.8], "val_accuracy": [0.6, 0.8, 0.7]}
    # The best-weights checkpoint and early stopping continue from the best epoch before the kill.
    best = next(c for c in callbacks if type(c).__name__ == "BestWeights")
    assert best.best == 0.8
    stopping = next(c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping))
    stopping.on_train_begin()
    assert (stopping.best, stopping.wait) == (0.8, 1)  # epoch 2 (0-based 1) was the best, one epoch ago


def test_best_epoch():
    history = {"epoch": [0, 1, 2, 3], "val_accuracy": [0.7, 0.9, 0.9, 0.8], "val_loss": [0.6, 0.5, 0.4, 0.45]}
    assert best_epoch(history, "val_accuracy") == 1  # the first of equals, like EarlyStopping
    assert best_epoch(history, "val_loss") == 2
    assert best_epoch(history, "val_auc") is None


def test_a_fresh_run_starts_a_new_history(tmp_path):
    (tmp_path / "history.csv").write_text("epoch,loss\n0,0.5\n")
    (tmp_path / "best.weights.h5").write_bytes(b"")
    make_callbacks(str(tmp_path), tensorboard=False)
    assert finished_epochs(str(tmp_path)) == 0
    assert not (tmp_path / "history.csv").exists() and not (tmp_path / "best.weights.h5").exists()


def test_tensorboard_shows_the_epoch_curves(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x, y = np.ones((8, 3), "float32"), keras.utils.to_categorical([0, 1] * 4, 2)
    callbacks = make_callbacks(str(tmp_path), patience=None, monitor=None, backup=False, tensorboard=True)
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=callbacks)
    for split in ("train", "validation"):
        events = EventAccumulator(str(tmp_path / "logs" / split)).Reload()
        assert {"epoch_loss", "epoch_accuracy"} <= set(events.Tags()["tensors"])
        assert [event.step for event in events.Tensors("epoch_loss")] == [0, 1, 2]


def test_progress_bars_only_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert progress_verbosity("auto") == 2
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    assert progress_verbosity("auto") == 1
    assert progress_verbosity(0) == 0

