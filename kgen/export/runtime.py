"""Run .tflite files in the LiteRT interpreter (`ai_edge_litert`, no TensorFlow needed)."""

import statistics
import time

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from kgen._quiet import native_output


class LiteRTModel:
    """One signature of a .tflite model, called with float (or int) numpy inputs.

    Inputs are resized to the batch given (exported models have a dynamic
    batch axis); int8 inputs/outputs are quantized/dequantized with the
    tensors' own scale and zero point, so callers always see float outputs.

    Args:
        model: path of a .tflite file, or its bytes.
        signature: signature key (default: the only one).
        num_threads: interpreter threads (None: LiteRT's default).

    Example:
        >>> images = LiteRTModel("generate_int8.tflite")(latent=z)["images"]
    """

    def __init__(self, model, signature=None, num_threads=None):
        if isinstance(model, (bytes, bytearray)):
            self.interpreter = Interpreter(model_content=bytes(model), num_threads=num_threads)
        else:
            self.interpreter = Interpreter(model_path=str(model), num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if signature is None:
            if len(signatures) != 1:
                raise ValueError(f"pick a signature among {sorted(signatures)}")
            signature = next(iter(signatures))
        if signature not in signatures:
            raise ValueError(f"unknown signature {signature!r}; this model has {sorted(signatures)}")
        runner = self.interpreter.get_signature_runner(signature)
        self.signature = signature
        self.input_details = runner.get_input_details()
        self.output_details = runner.get_output_details()
        self._shapes = {}

    def _resize(self, batch):
        shapes = {name: tuple(np.shape(batch[name])) for name in self.input_details}
        if shapes != self._shapes:
            for name, detail in self.input_details.items():
                self.interpreter.resize_tensor_input(detail["index"], shapes[name], strict=True)
            # The first allocation prints "INFO: Created TensorFlow Lite XNNPACK delegate".
            with native_output(fds=(2,)):
                self.interpreter.allocate_tensors()
            self._shapes = shapes

    def set_inputs(self, **inputs):
        """Resize, quantize and set the inputs (without running)."""
        missing = set(self.input_details) - set(inputs)
        if missing:
            raise ValueError(f"missing inputs {sorted(missing)}; expected {sorted(self.input_details)}")
        self._resize(inputs)
        for name, detail in self.input_details.items():
            self.interpreter.set_tensor(detail["index"], quantize(inputs[name], detail))

    def get_outputs(self):
        """The last run's outputs, dequantized to float32 where quantized."""
        return {name: dequantize(self.interpreter.get_tensor(detail["index"]), detail)
                for name, detail in self.output_details.items()}

    def __call__(self, **inputs):
        self.set_inputs(**inputs)
        self.interpreter.invoke()
        return self.get_outputs()


def quantize(value, detail):
    """Cast `value` to a tensor's dtype, quantizing floats for int8/uint8 tensors."""
    dtype = np.dtype(detail["dtype"])
    value = np.asarray(value)
    scale, zero_point = detail["quantization"]
    if dtype in (np.int8, np.uint8) and scale:
        info = np.iinfo(dtype)
        value = np.clip(np.round(value / scale + zero_point), info.min, info.max)
    return value.astype(dtype)


def dequantize(value, detail):
    """Map an int8/uint8 output back to float32 with its scale and zero point."""
    scale, zero_point = detail["quantization"]
    if np.dtype(detail["dtype"]) in (np.int8, np.uint8) and scale:
        return ((value.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return value


def median_latency_ms(fn, runs=50, warmup=5):
    """Median wall time of `fn()` in milliseconds over `runs` calls after `warmup` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def litert_latency_ms(model, inputs, num_threads=1, runs=50, warmup=5):
    """Median latency (ms) of `invoke()` on fixed inputs (set once, not timed).

    Args:
        model: .tflite path or bytes.
        inputs: dict name -> array (its batch size is the one timed).
        num_threads: interpreter threads.
        runs, warmup: timed and untimed runs.
    """
    runner = LiteRTModel(model, num_threads=num_threads)
    runner.set_inputs(**inputs)
    return median_latency_ms(runner.interpreter.invoke, runs, warmup)
