"""Edge export: SavedModel + LiteRT (TFLite) variants, verified, with metadata for the edge side.

A model offers inference sub-models through `model.export_endpoints()`
(`generate`, `decode`, `encode`: named inputs with roles latent / label /
code / image, no random op inside: the caller supplies the noise).
`export_model` writes them as a *bundle*:

    BUNDLE/saved_model/                 one SavedModel, one signature per endpoint,
                                        named inputs, dynamic batch, inference mode
    BUNDLE/<endpoint>_<variant>.tflite  one file per endpoint and variant
    BUNDLE/metadata.json                what an edge app needs (see below)
    BUNDLE/report.json                  size, parity, latency per variant
    BUNDLE/samples/<endpoint>_<variant>.png

Variants (`VARIANTS`, add one with `tflite.register_variant`): `float32`,
`dynamic` (int8 weights), `float16`, `int8` (full integer, float I/O) and
`int8_io` (full integer, int8 I/O). int8 calibration draws
`calibration_samples` (default 200, at least 100) inputs from the latent prior
(labels uniform); encoders calibrate on real images (`calibration_data`) or
else on the model's own decoded samples.

Fidelity gate: every variant is run in the LiteRT interpreter on the same
`parity_samples` inputs as the SavedModel; report.json records the max abs
error and PSNR (image outputs: `10*log10(255**2/MSE)` on the pixel scale
`pixel = (x - low) * 255 / (high - low)`, i.e. `(x + 1) * 127.5` for [-1, 1])
or SNR (other outputs). A variant below its floor (`DEFAULT_FLOORS_DB`:
float32 60, float16 40, dynamic 25, int8 20, int8_io 20 dB PSNR for images;
`DEFAULT_SNR_FLOORS_DB` for codes: 60, 35, 15, 12, 12 dB SNR; override with
`floors={"int8": 30}`) or that fails to convert/run, or a SavedModel that
differs from Keras by more than 1e-5, makes `export_model` raise
`FidelityError` after writing the bundle (`gate=False` to only report).

metadata.json: `signatures.<name>.inputs/outputs` (name, shape with -1 batch,
dtype, role, `distribution` of latents/codes, `num_classes` of labels,
`value_range`, `layout` and `to_pixels` {offset, scale}: `pixel = (x + offset)
* scale` of images), `signatures.<name>.files.<variant>` (file, size_bytes,
per-tensor dtype and int8 `quantization` {scale, zero_point}), `class_names`,
`model`, `calibration`.

Public API:
    export_model(model, out_dir, quantize=("float32", "dynamic", "float16", "int8"), ...) -> report
    check_parity(model, directory, variants=("float32",), n=4) -> report (raises FidelityError)
    export_savedmodel(endpoints, path); convert(saved_model_dir, signature, variant, calibration)
    LiteRTModel(path)(**inputs) -> outputs; psnr, snr_db, max_abs_error; load_metadata(bundle)

Example:
    >>> gan = kgen.zoo.build("dcgan", (16, 16, 1), upsample="resize")
    >>> report = kgen.export.export_model(gan, "bundle", quantize=("float32", "int8"))
    >>> report["endpoints"]["generate"]["variants"]["int8"]["psnr_db"]

The edge side (`export/kgen_litert.py` in the repository) reads a bundle with
ai-edge-litert, numpy and pillow only.
"""

from kgen.export.bundle import (
    ALL_VARIANTS,
    DEFAULT_VARIANTS,
    FidelityError,
    check_parity,
    export_model,
    load_metadata,
    tflite_filename,
)
from kgen.export.fidelity import (
    DEFAULT_FLOORS_DB, DEFAULT_SNR_FLOORS_DB, max_abs_error, psnr, snr_db, to_pixels,
)
from kgen.export.runtime import LiteRTModel, litert_latency_ms, median_latency_ms
from kgen.export.savedmodel import export_savedmodel
from kgen.export.tflite import VARIANTS, convert, register_variant

__all__ = [
    "ALL_VARIANTS", "DEFAULT_FLOORS_DB", "DEFAULT_SNR_FLOORS_DB", "DEFAULT_VARIANTS", "FidelityError", "LiteRTModel",
    "VARIANTS", "check_parity", "convert", "export_model", "export_savedmodel",
    "litert_latency_ms", "load_metadata", "max_abs_error", "median_latency_ms", "psnr",
    "register_variant", "snr_db", "tflite_filename", "to_pixels",
]
