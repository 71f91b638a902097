"""The edge runner export/kgen_litert.py: no TensorFlow, no kgen; pixels match the SavedModel."""

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from kgen.export import fidelity

RUNNER = Path(__file__).resolve().parents[2] / "export" / "kgen_litert.py"

# Runs the runner's command line with `import tensorflow` made to fail, then
# reports whether TensorFlow or kgen got imported.
_BLOCKED = textwrap.dedent("""
    import json, runpy, sys
    sys.modules["tensorflow"] = None  # any `import tensorflow` now raises ImportError
    try:
        import tensorflow
        blocked = False
    except ImportError:
        blocked = True
    runner, argvs = sys.argv[1], json.loads(sys.argv[2])
    for argv in argvs:
        sys.argv = [runner, *argv]
        try:
            runpy.run_path(runner, run_name="__main__")
        except SystemExit as exit:
            assert not exit.code, exit.code
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "kgen", "keras")
                    and sys.modules[m] is not None)
    print("RESULT", json.dumps({"blocked": blocked, "loaded": loaded}))
""")


def _run_blocked(*argvs):
    proc = subprocess.run([sys.executable, "-c", _BLOCKED, str(RUNNER), json.dumps(argvs)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    assert result["blocked"], "the TensorFlow block did not work"
    assert result["loaded"] == [], f"the runner imported {result['loaded']}"
    return proc


def _grid_tiles(png, n, size, scale):
    """Undo save_grid's nearest upscaling and tiling: (n, size, size) uint8 tiles."""
    grid = np.asarray(Image.open(png))[::scale, ::scale]
    ncols = int(np.ceil(np.sqrt(n)))
    tiles = []
    for i in range(n):
        r, c = divmod(i, ncols)
        tiles.append(grid[1 + r * (size + 1):][:size, 1 + c * (size + 1):][:, :size])
    return np.stack(tiles)


def test_runner_generates_matching_png_without_tensorflow(cgan_bundle, tmp_path):
    path, _ = cgan_bundle
    n = 6
    z = np.random.default_rng(5).standard_normal((n, 8)).astype("float32")
    np.save(tmp_path / "z.npy", z)
    common = [str(path), "--n", str(n), "--latents", str(tmp_path / "z.npy"), "--labels", "3,7"]
    _run_blocked([*common, "--variant", "float32", "--out", str(tmp_path / "f32.png")],
                 [*common, "--variant", "int8_io", "--out", str(tmp_path / "i8.png")],
                 [str(path), "--variant", "int8", "--n", "5", "--seed", "1",
                  "--out", str(tmp_path / "seeded.png")])
    sig = tf.saved_model.load(str(path / "saved_model")).signatures["generate"]
    labels = np.resize(np.array([3, 7], "int32"), n)
    ref = sig(latent=z, labels=labels)["images"].numpy()
    ref_pixels = np.clip(np.round((ref[..., 0] + 1) * 127.5), 0, 255)
    f32 = _grid_tiles(tmp_path / "f32.png", n, 16, 4).astype(float)
    assert np.abs(f32 - ref_pixels).max() <= 1  # rounding of float32 round-off only
    i8 = _grid_tiles(tmp_path / "i8.png", n, 16, 4).astype(float)
    mse = np.mean((i8 - ref_pixels) ** 2)
    assert 10 * np.log10(255**2 / mse) >= fidelity.DEFAULT_FLOORS_DB["int8_io"]
    # 5 samples: a 3x2 grid of 16-pixel tiles, 1-pixel padding, upscaled 4x.
    assert Image.open(tmp_path / "seeded.png").size == ((3 * 17 + 1) * 4, (2 * 17 + 1) * 4)


def test_runner_encodes_png_files_without_tensorflow(ae_bundle, tmp_path):
    path, _ = ae_bundle
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (3, 8, 8), dtype=np.uint8)
    files = []
    for i, p in enumerate(pixels):
        Image.fromarray(p).save(tmp_path / f"img{i}.png")
        files.append(str(tmp_path / f"img{i}.png"))
    _run_blocked([str(path), "--variant", "float32", "--encode", *files,
                  "--out", str(tmp_path / "codes.npz")])
    codes = np.load(tmp_path / "codes.npz")
    sig = tf.saved_model.load(str(path / "saved_model")).signatures["encode"]
    ref = sig(images=(pixels[..., None] / 255.0).astype("float32"))
    for name in ("mean", "scale"):
        np.testing.assert_allclose(codes[name], ref[name].numpy(), atol=1e-4)


@pytest.fixture(scope="module")
def runner_module():
    spec = importlib.util.spec_from_file_location("kgen_litert", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_runner_module_api(runner_module, cgan_bundle, ae_bundle):
    path, _ = cgan_bundle
    bundle = runner_module.Bundle(path, variant="int8")
    a = bundle.generate(4, seed=2, labels=[1])
    np.testing.assert_array_equal(a, bundle.generate(4, seed=2, labels=[1]))
    assert a.shape == (4, 16, 16, 1) and -1 <= a.min() and a.max() <= 1
    with pytest.raises(ValueError, match=r"labels in \[0, 10\)"):
        bundle.generate(2, labels=[12])
    ae = runner_module.Bundle(ae_bundle[0], variant="int8_io")
    x = ae.generate(3, seed=0)  # the AE's decode signature
    codes = ae.encode(x)
    assert codes["mean"].shape == (3, 4) and codes["mean"].dtype == np.float32
    assert (codes["scale"] > 0).all()


def test_runner_draws_exactly_what_the_prior_objects_draw(runner_module):
    from kgen import priors

    cases = [priors.Normal((2,), 2.0, 0.5), priors.Uniform((3,), -1.0, 1.0), priors.Categorical(5, (2, 3)),
             priors.Categorical(4), priors.OneHotCategorical(3, 4), priors.Bernoulli((5,), 0.3),
             priors.Concatenate([priors.Normal(2), priors.OneHotCategorical(1, 3), priors.Uniform(2)])]
    for prior in cases:
        record = prior.metadata()
        edge = runner_module.draw(record, 50, None, np.random.default_rng(7))
        ref = prior.numpy_sample(50, np.random.default_rng(7))
        np.testing.assert_array_equal(edge, ref.astype(edge.dtype), err_msg=str(record))
    normal = runner_module.draw(cases[0].metadata(), 4000, None, np.random.default_rng(0))
    assert abs(normal.mean() - 2.0) < 0.05 and abs(normal.std() - 0.5) < 0.05
