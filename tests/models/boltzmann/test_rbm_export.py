"""RBM export: the edge runner loops the `gibbs_step` signature exactly as the model's chain runs."""

import json

import keras
import numpy as np
import pytest

from kgen import export, zoo


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from sklearn.datasets import load_digits

    x = (load_digits().data[:128].reshape(-1, 8, 8, 1) / 16.0 > 0.5).astype("float32")
    keras.utils.set_random_seed(0)
    rbm = zoo.build("rbm", (8, 8, 1), num_hidden=16, sample_steps=3, seed=0, learning_rate=0.1)
    rbm.fit(x, batch_size=16, epochs=3, verbose=0)
    out = tmp_path_factory.mktemp("rbm") / "bundle"
    report = export.export_model(rbm, out, quantize=("float32", "int8"), calibration_data=x, gate=False,
                                 grids=False, parity_samples=16)
    return rbm, out, report, x


def test_bundle_has_the_three_signatures_with_float32_parity(bundle):
    rbm, out, report, _ = bundle
    assert set(report["endpoints"]) == {"generate", "gibbs_step", "features"}
    for name, ep in report["endpoints"].items():
        assert ep["variants"]["float32"]["max_abs_error"] < 1e-4, (name, ep["variants"]["float32"])


def test_edge_runner_gibbs_loop_equals_the_model_chain(bundle, edge_runner):
    rbm, out, _, _ = bundle
    runner = edge_runner
    edge = runner.Bundle(out, "float32")
    images, kept = runner.gibbs_chain(edge, n=6, steps=12, seed=4, every=4)
    assert len(kept) == 3
    # The same draws, in the runner's order, through the model.
    rng = np.random.default_rng(4)
    v = (rng.uniform(0.0, 1.0, (6, 8, 8, 1)) < 0.5).astype("float32")
    eps = {e.name: e for e in rbm.export_endpoints()}
    from kgen.export.savedmodel import call_endpoint

    for _ in range(12):
        hn = rng.uniform(0.0, 1.0, (6, 16)).astype("float32")
        vn = rng.uniform(0.0, 1.0, (6, 64)).astype("float32")
        res = call_endpoint(eps["gibbs_step"], rbm, [v, hn, vn])
        v = res["visible"].numpy()
    np.testing.assert_allclose(images, res["images"].numpy(), atol=1e-5)
    feats = edge.encode(v, signature="features")["features"]
    np.testing.assert_allclose(feats, rbm.encode(v).numpy(), atol=1e-5)


def test_edge_runner_command_line_writes_a_chain_grid(bundle, tmp_path, edge_runner):
    _, out, _, _ = bundle
    png = tmp_path / "chains.png"
    assert edge_runner.main([str(out), "--gibbs-steps", "5", "--n", "4", "--seed", "0", "--out", str(png)]) == 0
    assert png.stat().st_size > 0


def test_variants_are_gated_on_the_chain_after_k_gibbs_steps(bundle, tmp_path, capsys):
    """float32/float16/int8 `gibbs_step` looped k times from the SavedModel chain's start and noise."""
    import tensorflow as tf

    from kgen.export import FidelityError
    from kgen.export.runtime import LiteRTModel
    from kgen.models.boltzmann.export import export_rbm, gibbs_loop

    rbm, _, _, x = bundle
    out = tmp_path / "chain_bundle"
    report = export_rbm(rbm, out, quantize=("float32", "float16", "int8"), steps=(1, 10, 100), n=16, images=x,
                        grids=False, parity_samples=16)
    chain = report["chain"]
    assert chain["steps"] == [1, 10, 100] and report["passed"]
    assert json.loads((out / "report.json").read_text())["chain"] == chain
    figures = chain["variants"]
    # float32 and float16 keep every unit of every chain for 100 steps (measured: 148 dB / 100 dB).
    for variant in ("float32", "float16"):
        assert figures[variant]["unit_agreement"] == {"1": 1.0, "10": 1.0, "100": 1.0}, figures[variant]
        assert figures[variant]["images_db"]["100"] >= 60
    # int8 flips units (measured: 83 % agree after 1 step, 99 % after 100 steps); the figure is reported.
    assert 0.5 < figures["int8"]["unit_agreement"]["1"] < 1.0
    assert figures["int8"]["images_db"]["100"] >= figures["int8"]["floor_db"]
    # The figure is the loop's: recompute int8's 10-step PSNR from the same start and noise.
    start = rbm.prior["visible"].numpy_sample(16, np.random.default_rng(0))
    sig = tf.saved_model.load(str(out / "saved_model")).signatures["gibbs_step"]
    ref = gibbs_loop(lambda v, h, n: {k: t.numpy() for k, t in sig(visible=v, hidden_noise=h, visible_noise=n).items()},
                     start, (10,), 1, 16)
    lite = LiteRTModel(out / "gibbs_step_int8.tflite")
    got = gibbs_loop(lambda v, h, n: lite(visible=v, hidden_noise=h, visible_noise=n), start, (10,), 1, 16)
    mse = np.mean((ref[10][0] - got[10][0]) ** 2)
    assert figures["int8"]["images_db"]["10"] == pytest.approx(10 * np.log10(255 ** 2 / (mse * 255 ** 2)), abs=0.01)
    # `kgen export` prints the chain figures under its table.
    from kgen.commands.export import _print_table

    _print_table(report)
    printed = capsys.readouterr().out
    assert "after 1, 10, 100 steps" in printed
    assert f"{figures['int8']['images_db']['100']:6.1f} / {figures['int8']['unit_agreement']['100']:.3f}" in printed
    # A floor above the int8 chain's figure fails the export, naming the step count.
    with pytest.raises(FidelityError, match="after 100 Gibbs steps"):
        export_rbm(rbm, tmp_path / "strict", quantize=("int8",), steps=(100,), images=x, grids=False,
                   parity_samples=16, floors={"int8": 90.0})
