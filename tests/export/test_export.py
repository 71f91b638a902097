"""kgen.export: SavedModel parity, TFLite variants in LiteRT, fidelity gate, metadata, CLI."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgen import export, priors, zoo
from kgen.export import fidelity
from kgen.models import Endpoint, GenerativeModel, TensorSpec

ALL = ("float32", "dynamic", "float16", "int8", "int8_io")


def _latents(n, dim, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype("float32")


# -- fidelity figures: closed form ------------------------------------------------------


def test_psnr_one_pixel_level_closed_form():
    ref = np.zeros((2, 4, 4, 1), "float32")
    # 2/255 in [-1, 1] is exactly one pixel level: MSE 1 -> 20*log10(255).
    assert fidelity.psnr(ref, ref + 2 / 255) == pytest.approx(20 * np.log10(255), abs=1e-4)
    # [0, 1] outputs: the same error is 1/255.
    assert fidelity.psnr(ref, ref + 1 / 255, (0, 1)) == pytest.approx(48.1308, abs=1e-3)
    assert fidelity.psnr(ref, ref) == fidelity.DB_CAP
    assert fidelity.snr_db(np.ones(4), np.ones(4) * 1.1) == pytest.approx(20.0, abs=1e-6)
    assert fidelity.max_abs_error([0.0, 1.0], [0.5, 1.0]) == 0.5


def test_parse_floors_rejects_bad_text():
    floors = fidelity.resolve_floors("int8=31.5")
    assert floors["image"]["int8"] == floors["other"]["int8"] == 31.5
    assert floors["image"]["float16"] == fidelity.DEFAULT_FLOORS_DB["float16"]
    with pytest.raises(ValueError, match="VARIANT=DB"):
        fidelity.parse_floors("int8:30")


# -- SavedModel ---------------------------------------------------------------------------


@pytest.mark.parametrize("batch", [1, 7])
def test_saved_model_reproduces_keras_with_any_batch(cgan, cgan_bundle, batch):
    path, _ = cgan_bundle
    loaded = tf.saved_model.load(str(path / "saved_model"))
    sig = loaded.signatures["generate"]
    z, labels = _latents(batch, cgan.latent_dim, batch), np.arange(batch, dtype="int32") % 10
    out = sig(latent=z, labels=labels)
    assert list(out) == ["images"]
    expected = np.asarray(cgan.generate(z, labels=labels))
    np.testing.assert_allclose(out["images"].numpy(), expected, atol=1e-5)


def test_saved_model_signatures_named_with_dynamic_batch(ae_bundle):
    path, report = ae_bundle
    loaded = tf.saved_model.load(str(path / "saved_model"))
    assert {"decode", "encode"} <= set(loaded.signatures)
    _, kwargs = loaded.signatures["encode"].structured_input_signature
    assert list(kwargs) == ["images"] and kwargs["images"].shape.as_list() == [None, 8, 8, 1]
    assert set(loaded.signatures["encode"].structured_outputs) == {"mean", "scale"}
    for ep in report["endpoints"].values():
        assert ep["saved_model"]["max_abs_error_vs_keras"] <= 1e-5


def test_inference_mode_batch_norm_and_dropout(ae, ae_bundle):
    path, _ = ae_bundle
    encode = tf.saved_model.load(str(path / "saved_model")).signatures["encode"]
    x = np.random.default_rng(0).uniform(0, 1, (6, 8, 8, 1)).astype("float32")
    a, b = encode(images=x), encode(images=x)
    # Dropout off: deterministic. Batch norm on moving statistics: a sample's
    # code does not depend on the rest of the batch.
    np.testing.assert_array_equal(a["mean"].numpy(), b["mean"].numpy())
    alone = encode(images=x[:1])["mean"].numpy()
    np.testing.assert_allclose(alone, a["mean"].numpy()[:1], atol=1e-5)
    mean, scale = ae.encoder(x, training=False)
    np.testing.assert_allclose(a["mean"].numpy(), mean, atol=1e-5)
    np.testing.assert_allclose(a["scale"].numpy(), scale, atol=1e-5)


class _NoisyLayer(keras.layers.Layer):
    def call(self, x):
        return x + keras.random.normal(keras.ops.shape(x))


class _NoisyModel(GenerativeModel):
    def __init__(self):
        super().__init__(prior=priors.Normal((3,)))
        z = keras.Input((3,), name="latent")
        self.net = keras.Model(z, _NoisyLayer()(z))
        self.built = True

    def export_endpoints(self):
        return [Endpoint("generate", self.net, [TensorSpec("latent", (3,))],
                         [TensorSpec("sample", (3,), role="output")])]


def test_random_op_inside_an_endpoint_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="samples random numbers inside"):
        export.export_savedmodel(_NoisyModel().export_endpoints(), tmp_path / "sm")


# -- TFLite variants ----------------------------------------------------------------------


def test_every_variant_runs_in_litert_with_dynamic_batch(cgan, cgan_bundle):
    path, report = cgan_bundle
    assert report["passed"], report["failures"]
    variants = report["endpoints"]["generate"]["variants"]
    sizes = {name: v["size_bytes"] for name, v in variants.items()}
    for name in ALL:
        assert (path / f"generate_{name}.tflite").stat().st_size == sizes[name]
        runner = export.LiteRTModel(path / f"generate_{name}.tflite")
        for batch in (1, 5):
            z, labels = _latents(batch, cgan.latent_dim, 11), np.full(batch, 4, "int32")
            out = runner(latent=z, labels=labels)["images"]
            assert out.shape == (batch, 16, 16, 1) and out.dtype == np.float32
            ref = np.asarray(cgan.generate(z, labels=labels))
            assert fidelity.psnr(ref, out) >= fidelity.DEFAULT_FLOORS_DB[name]
    # Weight-quantized files are smaller (tiny nets carry a fixed overhead).
    assert sizes["int8"] < sizes["float32"] and sizes["dynamic"] < sizes["float32"]


def test_int8_psnr_is_above_its_floor(cgan_bundle, ae_bundle):
    for _, report in (cgan_bundle, ae_bundle):
        for ep in report["endpoints"].values():
            for name in ("int8", "int8_io"):
                v = ep["variants"][name]
                assert v["fidelity_db"] >= v["floor_db"], (name, v)
                floors = export.DEFAULT_FLOORS_DB if v["psnr_db"] is not None else export.DEFAULT_SNR_FLOORS_DB
                assert v["floor_db"] == floors[name]
                assert v["passed"]
    gen = cgan_bundle[1]["endpoints"]["generate"]["variants"]
    assert gen["float32"]["psnr_db"] > 100 and gen["float32"]["max_abs_error"] < 1e-4
    assert gen["int8"]["max_abs_error"] > gen["float16"]["max_abs_error"]


def test_int8_io_tensors_are_int8_with_recorded_quantization(cgan_bundle):
    path, _ = cgan_bundle
    meta = export.load_metadata(path)
    files = meta["signatures"]["generate"]["files"]
    runner = export.LiteRTModel(path / files["int8_io"]["file"])
    latent = runner.input_details["latent"]
    assert np.dtype(latent["dtype"]) == np.int8
    recorded = files["int8_io"]["inputs"]["latent"]
    assert recorded["dtype"] == "int8"
    assert recorded["quantization"]["scale"] == pytest.approx(latent["quantization"][0])
    assert recorded["quantization"]["zero_point"] == latent["quantization"][1]
    assert files["int8_io"]["outputs"]["images"]["dtype"] == "int8"
    # Labels stay integer ids; float-I/O int8 keeps float32 tensors.
    assert files["int8_io"]["inputs"]["labels"]["dtype"] == "int32"
    assert files["int8"]["inputs"]["latent"] == {"dtype": "float32", "quantization": None}


def test_encoder_calibrates_on_decoded_samples(ae_bundle):
    path, report = ae_bundle
    assert report["calibration"]["sources"]["encode"].startswith("model samples")
    assert report["calibration"]["sources"]["decode"] == "prior"
    enc = report["endpoints"]["encode"]["variants"]["int8"]
    assert enc["psnr_db"] is None and set(enc["outputs"]) == {"mean", "scale"}
    assert (path / "encode_int8.tflite").exists() and not (path / "samples/encode_int8.png").exists()
    assert (path / "samples/decode_int8.png").exists()


# -- fidelity gate ------------------------------------------------------------------------


def test_gate_raises_below_floor_and_still_writes_report(cgan, tmp_path):
    with pytest.raises(export.FidelityError, match=r"generate/int8: PSNR .* below the floor of 150"):
        export.export_model(cgan, tmp_path, quantize=("float32", "int8"),
                            calibration_samples=100, parity_samples=4, floors={"int8": 150})
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["passed"] is False
    assert report["endpoints"]["generate"]["variants"]["float32"]["passed"] is True
    report = export.export_model(cgan, tmp_path, quantize=("float32", "int8"), parity_samples=4,
                                 calibration_samples=100, floors={"int8": 150}, gate=False)
    assert report["failures"] and not report["passed"]


def test_calibration_needs_100_samples(cgan, tmp_path):
    with pytest.raises(ValueError, match="calibration_samples >= 100"):
        export.export_model(cgan, tmp_path, quantize=("int8",), calibration_samples=50)
    with pytest.raises(ValueError, match="unknown TFLite variant 'int4'"):
        export.export_model(cgan, tmp_path, quantize=("int4",))


# -- metadata -----------------------------------------------------------------------------


def test_metadata_describes_inputs_outputs_and_pixels(cgan_bundle, ae_bundle):
    meta = export.load_metadata(cgan_bundle[0])
    gen = meta["signatures"]["generate"]
    latent, labels = gen["inputs"]
    assert latent == {"name": "latent", "shape": [-1, 8], "dtype": "float32", "role": "latent",
                      "distribution": {"type": "normal", "shape": [8], "loc": 0.0, "scale": 1.0}}
    assert labels["role"] == "label" and labels["num_classes"] == 10 and labels["dtype"] == "int32"
    assert labels["distribution"] == {"type": "categorical", "shape": [], "num_classes": 10}
    images = gen["outputs"][0]
    assert images["shape"] == [-1, 16, 16, 1] and images["layout"] == "NHWC"
    assert images["to_pixels"] == {"offset": 1.0, "scale": 127.5,
                                   "formula": "pixel = (x + 1) * 127.5"}
    assert meta["class_names"][3] == "digit 3" and meta["model"]["num_classes"] == 10
    assert set(gen["files"]) == set(ALL)
    ae_meta = export.load_metadata(ae_bundle[0])
    pix = ae_meta["signatures"]["decode"]["outputs"][0]["to_pixels"]
    assert (pix["offset"], pix["scale"]) == (0.0, 255.0)
    assert [o["role"] for o in ae_meta["signatures"]["encode"]["outputs"]] == ["code", "code"]


def test_report_has_sizes_latency_and_grids(cgan_bundle):
    path, report = cgan_bundle
    on_disk = json.loads((path / "report.json").read_text())
    assert on_disk["endpoints"]["generate"]["variants"]["int8"]["psnr_db"] == pytest.approx(
        report["endpoints"]["generate"]["variants"]["int8"]["psnr_db"])
    for name, v in report["endpoints"]["generate"]["variants"].items():
        assert v["latency_ms"]["threads_1"] > 0 and v["latency_ms"]["threads_2"] > 0
        assert (path / v["grid"]).exists()
    assert report["endpoints"]["generate"]["saved_model"]["latency_ms"]["tf"] > 0


# -- contract helper and CLI ----------------------------------------------------------------


def test_check_parity_transpose_dcgan(tmp_path):
    model = zoo.build("dcgan", (16, 16, 1), tiny=True, seed=0)
    report = export.check_parity(model, tmp_path, variants=("float32", "int8"), n=4)
    gen = report["endpoints"]["generate"]
    assert gen["saved_model"]["max_abs_error_vs_keras"] <= 1e-5
    assert gen["variants"]["float32"]["passed"] and gen["variants"]["int8"]["passed"]


@pytest.fixture(scope="module")
def run_dir(cgan, tmp_path_factory):
    path = tmp_path_factory.mktemp("run")
    cgan.save(path / "model.keras")
    (path / "config.json").write_text(json.dumps({
        "model": "dcgan", "data": "digits", "input_shape": [16, 16, 1], "num_classes": 10,
        "class_names": [str(i) for i in range(10)], "scale": "tanh"}))
    return path


def test_cli_export_writes_bundle(run_dir, tmp_path, capsys):
    from kgen.cli import main

    out = tmp_path / "bundle"
    code = main(["export", str(run_dir), "--quantize", "float32,int8_io", "--out", str(out),
                 "--latency-runs", "2", "--parity-samples", "8", "--calibration-samples", "100"])
    assert code == 0
    assert {"metadata.json", "report.json", "generate_float32.tflite",
            "generate_int8_io.tflite"} <= {p.name for p in out.iterdir()}
    assert "generate   int8_io" in capsys.readouterr().out


def test_cli_export_fails_below_floor(run_dir, tmp_path, capsys):
    from kgen.cli import main

    code = main(["export", str(run_dir), "--quantize", "int8", "--out", str(tmp_path / "b"),
                 "--latency-runs", "0", "--parity-samples", "4", "--calibration-samples", "100",
                 "--floor", "int8=150"])
    assert code == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "below the floor of 150 dB" in err


def test_fid_kid_between_float_and_quantized_samples(cgan, tmp_path):
    with pytest.raises(export.FidelityError, match=r"generate/int8: FID .* above the ceiling of -1"):
        export.export_model(cgan, tmp_path, quantize=("float32", "int8"), calibration_samples=100,
                            parity_samples=4, feature_extractor="digits",
                            distribution_samples=100, max_fid={"int8": -1.0}, grids=False)
    report = json.loads((tmp_path / "report.json").read_text())
    variants = report["endpoints"]["generate"]["variants"]
    # float32 samples equal the SavedModel's to ~1e-7: FID vanishes (KID is an
    # unbiased estimate, slightly negative for identical sets).
    assert abs(variants["float32"]["fid_vs_float"]) < 1e-3
    assert variants["int8"]["fid_vs_float"] > variants["float32"]["fid_vs_float"]
    assert variants["int8"]["kid_vs_float"] > variants["float32"]["kid_vs_float"]
    assert variants["float32"]["passed"] and not variants["int8"]["passed"]


@pytest.fixture
def broken_variant():
    """A registered variant whose conversion fails inside the TFLite converter."""
    import tensorflow as tf

    from kgen.export import tflite

    @tflite.register_variant("broken_int8", "int8 calibrated on inputs of the wrong name",
                             needs_representative=True)
    def _broken(converter, representative):
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.representative_dataset = lambda: iter([{"no_such_input": np.zeros((1, 8), "float32")}])

    yield "broken_int8"
    tflite.VARIANTS.pop("broken_int8")


def test_variant_that_cannot_convert_is_reported_and_gated(cgan, tmp_path, broken_variant):
    report = export.export_model(cgan, tmp_path, quantize=("float32", broken_variant),
                                 calibration_samples=100, parity_samples=4, gate=False)
    variants = report["endpoints"]["generate"]["variants"]
    assert variants["float32"]["passed"]
    assert variants[broken_variant]["passed"] is False
    assert variants[broken_variant]["error"].startswith("conversion failed")
    assert not (tmp_path / f"generate_{broken_variant}.tflite").exists()
    assert any(f"generate/{broken_variant}: conversion failed" in f and "upsample='resize'" in f
               for f in report["failures"])
    with pytest.raises(export.FidelityError, match=f"generate/{broken_variant}: conversion failed"):
        export.export_model(cgan, tmp_path, quantize=(broken_variant,), calibration_samples=100,
                            parity_samples=4)


def test_nearest_upsampling_is_rewritten_sharing_weights(cgan):
    from kgen.export.savedmodel import export_friendly

    original = cgan.generator
    assert any(isinstance(l, keras.layers.UpSampling2D) for l in original.layers)
    clone = export_friendly(original)
    assert not any(isinstance(l, keras.layers.UpSampling2D) for l in clone._flatten_layers())
    assert [id(v) for v in clone.weights] == [id(v) for v in original.weights]
    z, labels = _latents(3, cgan.latent_dim), np.array([0, 5, 9], "int32")
    np.testing.assert_array_equal(clone([z, labels], training=False),
                                  original([z, labels], training=False))


def test_endpoint_inputs_drawn_from_their_priors():
    from kgen.export import inputs

    prior = priors.Joint(latent=priors.Concatenate([priors.Normal(2), priors.Uniform(4)]),
                         labels=priors.Categorical(3))
    specs = [
        TensorSpec("latent", (6,), role="latent", info=prior["latent"].spec_info()),
        TensorSpec("codes", (2, 2), "int32", role="latent", info=priors.Categorical(5, (2, 2)).spec_info()),
        TensorSpec("labels", (), "int32", "label", {"num_classes": 3}),
        TensorSpec("code", (3,), role="code"),
    ]
    batch = inputs.sample_inputs(specs, 400, np.random.default_rng(0))
    assert batch["latent"].shape == (400, 6) and np.abs(batch["latent"][:, 2:]).max() <= 1
    assert batch["latent"][:, :2].std() > 0.8  # the normal part
    assert batch["codes"].dtype == np.int32 and set(np.unique(batch["codes"])) == set(range(5))
    assert batch["labels"].dtype == np.int32 and set(batch["labels"]) == {0, 1, 2}
    # Same generator state, same values as the prior object draws.
    again = inputs.sample(prior["latent"].metadata(), 400, (6,), np.random.default_rng(0))
    np.testing.assert_array_equal(again, prior["latent"].numpy_sample(400, np.random.default_rng(0)))
    # A code without a prior (a deterministic autoencoder): N(0, 1) stands in, flagged.
    assert inputs.is_stand_in({"type": "none"}) and not inputs.is_stand_in({"type": "uniform", "shape": [2]})
    assert batch["code"].std() == pytest.approx(1, abs=0.1)