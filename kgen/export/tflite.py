"""TFLite (LiteRT) variants of a SavedModel signature.

Each variant is a function configuring a `tf.lite.TFLiteConverter`; add one
with `@register_variant`. Built in:

- `float32`: plain conversion.
- `dynamic`: dynamic-range quantization (int8 weights, float activations).
  int8 weights of dense layers are quantized per tensor, of convolutions per
  output channel (see `_per_tensor_dense`).
- `float16`: float16 weights (dequantized to float32 at load on CPU).
- `int8`: full-integer quantization (int8 weights and activations, calibrated
  on a representative dataset) with float32 inputs and outputs.
- `int8_io`: as `int8`, with int8 inputs and outputs too (Edge TPU,
  microcontrollers); the scale/zero point of each are in the bundle metadata.
  Integer inputs (class labels) stay int32.
"""

import dataclasses
import warnings

import tensorflow as tf

from kgen._quiet import native_output, reemit


@dataclasses.dataclass
class Variant:
    """A TFLite variant: `configure(converter, representative)` sets the converter up."""

    name: str
    configure: object
    description: str
    needs_representative: bool = False


VARIANTS = {}


def register_variant(name, description, needs_representative=False):
    """Register a converter configuration under `name` (decorator)."""

    def decorator(fn):
        VARIANTS[name] = Variant(name, fn, description, needs_representative)
        return fn

    return decorator


@register_variant("float32", "float32 weights and activations")
def _float32(converter, representative):
    pass


def _per_tensor_dense(converter):
    # Per-channel dense weights store a float32 scale and an int64 zero point
    # per output unit: ~25 KB for a latent -> 4x4x64 projection, which keeps
    # small int8 generators from being ~4x smaller than float32, for ~0.1 dB
    # of PSNR (measured on the benchmark's trained generators). Convolutions
    # stay per-channel. A private converter switch, hence the guard.
    if hasattr(converter, "_experimental_disable_per_channel_quantization_for_dense_layers"):
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True


@register_variant("dynamic", "dynamic-range quantization: int8 weights, float activations")
def _dynamic(converter, representative):
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    _per_tensor_dense(converter)


@register_variant("float16", "float16 weights")
def _float16(converter, representative):
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]


@register_variant("int8", "full-integer int8 (weights and activations), float32 I/O",
                  needs_representative=True)
def _int8(converter, representative):
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    _per_tensor_dense(converter)
    # Fail conversion rather than silently keep float ops.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]


@register_variant("int8_io", "full-integer int8 with int8 inputs and outputs",
                  needs_representative=True)
def _int8_io(converter, representative):
    _int8(converter, representative)
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def get_variant(name):
    """The registered `Variant` called `name`."""
    if name not in VARIANTS:
        raise ValueError(f"unknown TFLite variant {name!r}. Known variants: {sorted(VARIANTS)}")
    return VARIANTS[name]


def representative_dataset(batch):
    """A converter representative dataset: one sample at a time from a dict of arrays.

    Args:
        batch: dict input name -> array `(N, ...)` (N >= 100 recommended).

    Returns:
        A zero-argument generator function yielding dicts of `(1, ...)` arrays.
    """
    n = len(next(iter(batch.values())))

    def generator():
        for i in range(n):
            yield {name: value[i:i + 1] for name, value in batch.items()}

    return generator


def convert(saved_model_dir, signature, variant, calibration=None, verbose=False):
    """Convert one signature of a SavedModel to a TFLite flatbuffer.

    Args:
        saved_model_dir: SavedModel directory.
        signature: signature key (e.g. "generate").
        variant: a registered variant name.
        calibration: dict input name -> array `(N, ...)` (int8 variants).
        verbose: let the converter print its native debug lines
            (`fully_quantize: 0, inference_type: 6, ...`); otherwise they are
            dropped, or re-emitted if the conversion fails.

    Returns:
        The flatbuffer bytes.

    Example:
        >>> data = convert("bundle/saved_model", "generate", "int8", {"latent": z})
    """
    spec = get_variant(variant)
    if spec.needs_representative and not calibration:
        raise ValueError(f"variant {variant!r} needs calibration data (dict input name -> array)")
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir),
                                                         signature_keys=[signature])
    spec.configure(converter, representative_dataset(calibration) if calibration else None)
    lines = []
    try:
        with native_output(enabled=not verbose) as lines, warnings.catch_warnings():
            # TensorFlow's own int8 calibrator runs tf.lite.Interpreter, which warns
            # that it is deprecated; kgen runs every .tflite with ai_edge_litert.
            warnings.filterwarnings("ignore", message=r"(?s).*tf\.lite\.Interpreter is deprecated")
            return converter.convert()
    except Exception:
        reemit(lines)
        raise
