"""Export output: TFLite converter debug lines only when asked for, no deprecation warnings."""

import warnings

import pytest

from kgen import export, zoo


@pytest.fixture(scope="module")
def gan():
    return zoo.build("dcgan", (8, 8, 1), tiny=True, upsample="resize")


@pytest.mark.parametrize("verbose", [False, True])
def test_converter_lines_only_when_verbose(gan, tmp_path, capfd, verbose):
    steps = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        export.export_model(gan, tmp_path / "bundle", quantize=("float32", "int8"), grids=False,
                            calibration_samples=100, parity_samples=4, verbose=verbose,
                            progress=lambda done, total, label: steps.append((done, total, label)))
    out, err = capfd.readouterr()
    assert ("fully_quantize" in out + err) is verbose
    assert "XNNPACK" not in out + err  # LiteRT's delegate notice is never shown
    assert not [w for w in caught if issubclass(w.category, DeprecationWarning)
                or "deprecated" in str(w.message)]
    assert steps == [(0, 3, "SavedModel"), (1, 3, "generate float32"), (2, 3, "generate int8"),
                     (3, 3, "done")]
