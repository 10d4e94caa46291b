"""TPU readiness on CPU: static shapes, XLA-compiled training steps, no string op in the model."""

import keras
import numpy as np
import tensorflow as tf

from keras_restext import build_resnet_classifier

LENGTH = 24


def _static_batches(batch_size: int = 8) -> tf.data.Dataset:
    rng = np.random.default_rng(0)
    ids = np.zeros((40, LENGTH), "int32")
    for row in range(40):
        length = rng.integers(1, LENGTH + 1)
        ids[row, :length] = rng.integers(2, 300, size=length)
    targets = keras.utils.to_categorical(rng.integers(0, 2, size=40), 2)
    return tf.data.Dataset.from_tensor_slices((ids, targets)).batch(batch_size, drop_remainder=True)


def test_xla_compiled_training_steps_run_on_cpu():
    keras.utils.set_random_seed(0)
    model = build_resnet_classifier(2, 300, preset="restext_small", stage_filters=(32, 32), stage_blocks=(1, 1))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="categorical_crossentropy", jit_compile=True)
    assert model.jit_compile
    history = model.fit(_static_batches(), epochs=4, verbose=0, shuffle=False)  # a dataset: shuffling is its own
    losses = history.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_model_graph_has_no_string_op_and_static_shapes():
    model = build_resnet_classifier(2, 300, preset="restext_base")
    forward = tf.function(lambda ids: model(ids, training=True))
    graph = forward.get_concrete_function(tf.TensorSpec((8, LENGTH), tf.int32)).graph
    string_ops = [op.name for op in graph.get_operations() if any(t.dtype == tf.string for t in op.outputs)]
    assert not string_ops
    assert graph.outputs[0].shape == (8, 2)


def test_xla_compiled_gradients_of_the_default_are_finite():
    # restext_base's own sizes and stochastic depth: a reduce_max pooling gave NaN gradients here.
    keras.utils.set_random_seed(0)
    model = build_resnet_classifier(2, 1000, preset="restext_base", wide_scale=0.0, deep_drop_path=0.0)
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 1000, size=(64, 96)).astype("int32")
    ids[np.arange(96)[None, :] >= rng.integers(3, 96, size=(64, 1))] = 0
    targets = tf.constant(keras.utils.to_categorical(rng.integers(0, 2, size=64), 2))

    @tf.function(jit_compile=True)
    def gradients(ids):
        with tf.GradientTape() as tape:
            loss = keras.losses.categorical_crossentropy(targets, model(ids, training=True))
        return tape.gradient(loss, model.trainable_variables)

    for _ in range(3):  # each call draws other stochastic-depth masks
        for variable, gradient in zip(model.trainable_variables, gradients(tf.constant(ids))):
            assert np.isfinite(tf.convert_to_tensor(gradient).numpy()).all(), variable.path
