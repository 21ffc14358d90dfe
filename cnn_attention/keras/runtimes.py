"""A Keras layer in the runtimes it is deployed to, each as a NumPy function.

    run = in_runtime(layer, example, "tflite")
    y = run(x)  # x: NumPy (N, H, W, C) -> NumPy output

The twin of cnn_attention/torch/runtimes.py. "tflite" needs the TensorFlow backend.
"""

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Callable

import keras
import numpy as np

from cnn_attention.arguments import check_choice, check_positive_int

KERAS_RUNTIMES = ("keras", "keras reloaded", "saved model", "tflite")


def _model(layer, example) -> keras.Model:
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"layer must be a Keras layer, got {type(layer).__name__}")
    if not isinstance(example, np.ndarray) or example.dtype != np.float32:
        raise ValueError(
            "example must be a float32 NumPy array shaped like the layer's input, got "
            f"{type(example).__name__}"
        )
    if isinstance(layer, keras.Model):
        return layer
    inputs = keras.Input(example.shape[1:], batch_size=example.shape[0], name="x")
    return keras.Model(inputs, layer(inputs), name=f"{layer.name}_model")


@contextlib.contextmanager
def _quiet():
    """Keep TensorFlow's export and conversion plans (print and log) off the output."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _tflite_interpreter(content: bytes, threads: int):
    try:  # LiteRT, TensorFlow Lite's successor (tf.lite.Interpreter is deprecated)
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # e.g. Colab, which ships TensorFlow but not LiteRT
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_content=content, num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


def in_runtime(
    layer: keras.layers.Layer, example: np.ndarray, runtime: str, threads: int = 1
) -> Callable[[np.ndarray], np.ndarray]:
    """`layer` (or a model) for `runtime`, as x -> output in NumPy.

    runtime: "keras" (a functional model around the layer, called eagerly), "keras
    reloaded" (that model saved as .keras and loaded again: the package must be
    imported, which registers its layers), "saved model" (model.export's TensorFlow
    SavedModel, loaded with tf.saved_model.load: a graph, what TF Serving runs;
    its input shape is `example`'s), or "tflite" (converted with
    TFLiteConverter, run by the LiteRT interpreter with `threads` threads; its input
    shape is `example`'s, batch size included).
    """
    model = _model(layer, example)
    check_choice("runtime", runtime, KERAS_RUNTIMES)
    check_positive_int("threads", threads)
    if runtime == "keras reloaded":
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.keras")
            model.save(path)
            model = keras.models.load_model(path)
    if runtime in ("keras", "keras reloaded"):

        def run(x: np.ndarray) -> np.ndarray:
            return keras.ops.convert_to_numpy(model(x, training=False))

        return run
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            f"runtime {runtime!r} needs the TensorFlow backend "
            f"(KERAS_BACKEND=tensorflow), not {keras.backend.backend()!r}"
        )
    import tensorflow as tf

    if runtime == "saved model":
        with tempfile.TemporaryDirectory() as folder:
            with _quiet():
                model.export(folder, format="tf_saved_model")
            served = tf.saved_model.load(folder)

        def run(x: np.ndarray) -> np.ndarray:
            return served.serve(np.ascontiguousarray(x, dtype=np.float32)).numpy()

        return run

    with _quiet():
        content = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    interpreter = _tflite_interpreter(content, threads)
    source = interpreter.get_input_details()[0]["index"]
    target = interpreter.get_output_details()[0]["index"]

    def run(x: np.ndarray) -> np.ndarray:
        interpreter.set_tensor(source, np.ascontiguousarray(x, dtype=np.float32))
        interpreter.invoke()
        return interpreter.get_tensor(target)

    return run


__all__ = [
    "KERAS_RUNTIMES",
    "in_runtime",
]
