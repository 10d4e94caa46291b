"""The operators a LiteRT flatbuffer uses: how tests and benchmarks check that `model_ids.tflite`
runs on builtins alone and that `model.tflite` needs only string ops from the Flex delegate."""

from __future__ import annotations

from tensorflow.lite.python import schema_py_generated as schema


def operator_names(flatbuffer: bytes) -> list[str]:
    """The distinct operators of a LiteRT flatbuffer: builtin names (`"CONV_2D"`) and custom ones
    (Flex ops are custom ops named `"Flex<TensorFlow op>"`, e.g. `"FlexStringLower"`).

    Example:
    ```python
    [name for name in operator_names(open("model.tflite", "rb").read()) if name.startswith("Flex")]
    # ['FlexStringLower', ...]
    ```
    """
    builtins = {code: name for name, code in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    model = schema.ModelT.InitFromPackedBuf(flatbuffer, 0)
    names = []
    for operator in model.operatorCodes:
        # Codes above 127 live in builtinCode; older ones in deprecatedBuiltinCode too.
        code = max(operator.builtinCode, operator.deprecatedBuiltinCode)
        if code == schema.BuiltinOperator.CUSTOM:
            custom = operator.customCode
            names.append(custom.decode("utf-8") if isinstance(custom, bytes) else custom)
        else:
            names.append(builtins[code])
    return sorted(set(names))


__all__ = ["operator_names"]
