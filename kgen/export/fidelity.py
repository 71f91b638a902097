"""Fidelity figures of an exported variant against its reference, and the gate floors.

PSNR (image outputs): both outputs are mapped from their value range to the
pixel scale, `pixel = (x - low) * 255 / (high - low)` (for [-1, 1]:
`pixel = (x + 1) * 127.5`), without rounding and clipped to [0, 255], and

    PSNR = 10 * log10(255**2 / MSE),  MSE = mean over every pixel of every image

of the pixel difference. SNR (any output, e.g. codes):
`10 * log10(sum(reference**2) / sum((reference - test)**2))`. Identical outputs
give `DB_CAP` (so report.json stays valid JSON).
"""

import numpy as np

#: dB reported for identical outputs (a finite stand-in for infinity).
DB_CAP = 200.0

#: Default PSNR floors in dB per variant, for image outputs. float32/float16
#: only reorder float arithmetic or round weights to 11 bits; the int8 floors
#: are the level below which digit samples visibly degrade.
DEFAULT_FLOORS_DB = {
    "float32": 60.0,
    "float16": 40.0,
    "dynamic": 25.0,
    "int8": 20.0,
    "int8_io": 20.0,
}

#: Default SNR floors in dB per variant, for non-image outputs (codes): a code's
#: SNR is measured against its own power, not a fixed peak, so it runs lower.
DEFAULT_SNR_FLOORS_DB = {
    "float32": 60.0,
    "float16": 35.0,
    "dynamic": 15.0,
    "int8": 12.0,
    "int8_io": 12.0,
}


def to_pixels(x, value_range=(-1.0, 1.0)):
    """Map float outputs in `value_range` to the [0, 255] pixel scale (float, clipped)."""
    low, high = (float(v) for v in value_range)
    if not high > low:
        raise ValueError(f"expected value_range (low, high) with high > low. Received: {value_range}")
    pixels = (np.asarray(x, np.float64) - low) * (255.0 / (high - low))
    return np.clip(pixels, 0.0, 255.0)


def _db(signal, noise):
    if noise <= 0.0:
        return DB_CAP
    if signal <= 0.0:
        return -DB_CAP
    return float(min(DB_CAP, 10.0 * np.log10(signal / noise)))


def psnr(reference, test, value_range=(-1.0, 1.0)):
    """Peak signal-to-noise ratio in dB on the pixel scale (see module docstring).

    Args:
        reference: reference images, floats in `value_range`.
        test: images to compare, same shape.
        value_range: `(low, high)` of the float values.

    Returns:
        PSNR in dB (`DB_CAP` for identical images).

    Example:
        >>> psnr(np.zeros((1, 2, 2, 1)), np.full((1, 2, 2, 1), 2 / 255))  # one pixel level
        48.13...
    """
    reference, test = _same_shape(reference, test)
    mse = float(np.mean((to_pixels(reference, value_range) - to_pixels(test, value_range)) ** 2))
    return _db(255.0**2, mse)


def snr_db(reference, test):
    """Signal-to-noise ratio in dB of `test` against `reference` (any values)."""
    reference, test = _same_shape(reference, test)
    reference = reference.astype(np.float64)
    return _db(float(np.sum(reference**2)), float(np.sum((reference - test) ** 2)))


def max_abs_error(reference, test):
    """Largest absolute elementwise difference."""
    reference, test = _same_shape(reference, test)
    return float(np.max(np.abs(reference.astype(np.float64) - test))) if reference.size else 0.0


def _same_shape(reference, test):
    reference, test = np.asarray(reference), np.asarray(test)
    if reference.shape != test.shape:
        raise ValueError(
            f"expected outputs of the same shape. Received: reference {reference.shape}, "
            f"test {test.shape}"
        )
    return reference, test


def compare(reference, test, value_range=None):
    """Fidelity figures of one output.

    Args:
        reference: reference output array.
        test: output of the variant, same shape.
        value_range: `(low, high)` for image outputs (adds PSNR), else None.

    Returns:
        dict with `max_abs_error`, `snr_db`, `psnr_db` (image outputs only, else
        None) and `fidelity_db` (the figure the gate checks: PSNR for images,
        SNR otherwise).
    """
    figures = {
        "max_abs_error": max_abs_error(reference, test),
        "snr_db": snr_db(reference, test),
        "psnr_db": psnr(reference, test, value_range) if value_range is not None else None,
    }
    figures["fidelity_db"] = figures["psnr_db"] if value_range is not None else figures["snr_db"]
    return figures


def resolve_floors(floors=None):
    """Floors per output kind: {"image": {variant: dB}, "other": {variant: dB}}.

    Args:
        floors: overrides ({variant: dB} or "variant=dB,..." text); an
            override sets the floor of that variant for images and codes alike.
    """
    resolved = {"image": dict(DEFAULT_FLOORS_DB), "other": dict(DEFAULT_SNR_FLOORS_DB)}
    if isinstance(floors, str):
        floors = parse_floors(floors)
    for name, value in (floors or {}).items():
        resolved["image"][name] = resolved["other"][name] = float(value)
    return resolved


def parse_floors(text):
    """Parse "int8=28,float16=45" into {"int8": 28.0, "float16": 45.0}."""
    floors = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            floors[name.strip()] = float(value)
        except ValueError:
            raise ValueError(
                f"expected floors as VARIANT=DB pairs, e.g. 'int8=28,float16=45'. Received: {item!r}"
            ) from None
    return floors
