"""Train the digit classifier shipped as kgen's offline feature extractor ("digits").

Reproducible: seeded split, seeded augmentation and initialisation, and
deterministic TensorFlow ops. Writes the weights and a training record
(held-out accuracy, settings, sha256 of the weights) into kgen/assets/.

Data: scikit-learn's 1,797 labelled 8x8 handwritten digits resized to 16x16
in [-1, 1] (`kgen.data.load_arrays("digits")`), stratified 80/20 split; the
20 % held-out part is never trained on. Augmentation: random translation
(+-12 %), rotation (+-15 degrees), zoom (15 % in, up to 45 % out) and stroke thickening or
thinning (3x3 grey dilation / erosion), so the features transfer to
generated digits and resized MNIST.

Usage:
    python tools/train_digit_classifier.py            # writes kgen/assets/
    python tools/train_digit_classifier.py --out /tmp/clf --epochs 5
"""

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _thickness(x, rng):
    """Randomly dilate or erode strokes (strokes are bright on a dark background)."""
    import tensorflow as tf

    choice = rng.uniform(())
    dilated = tf.nn.max_pool2d(x, 3, 1, "SAME")
    eroded = -tf.nn.max_pool2d(-x, 3, 1, "SAME")
    # Blend rather than switch: half-pixel thickness changes, like resizing does.
    amount = rng.uniform(())
    return tf.where(choice < 0.25, x + amount * (dilated - x),
                    tf.where(choice < 0.45, x + amount * (eroded - x), x))


def _mnist_check(model):
    """Predicted class shares on the unlabelled shared MNIST sample (a transfer check), or None.

    Real MNIST digits are near-uniform over classes (9-11 % each), so a
    classifier that transfers from the 8x8 digits predicts near-uniform shares.
    """
    import numpy as np

    from kgen.features import get_extractor

    path = REPO.parent / "shared" / "data" / "mnist7k.npz"
    if not path.is_file():
        return None
    with np.load(path) as data:
        images = data["images"][..., None]
    ext = get_extractor(model, input_size=(16, 16), channels=1)
    logits = ext.features(images)  # uint8 input: taken as 0..255
    shares = np.bincount(logits.argmax(axis=1), minlength=10) / len(images)
    return [round(float(v), 4) for v in shares]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "kgen" / "assets"), help="output folder")
    parser.add_argument("--epochs", type=int, default=80)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--zoom-out", type=float, default=0.45,
                        help="largest zoom-out of the augmentation (fraction of the frame)")
    args = parser.parse_args(argv)

    import keras
    import numpy as np
    import tensorflow as tf
    from sklearn.model_selection import train_test_split

    from kgen import data
    from kgen.features import digits

    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    arrays = data.load_arrays("digits", image_size=digits.INPUT_SIZE[0], scale="tanh", labels=True)
    x_train, x_test, y_train, y_test = train_test_split(
        arrays.x, arrays.y, test_size=0.2, stratify=arrays.y, random_state=args.seed)

    rng = tf.random.Generator.from_seed(args.seed)
    augment = keras.Sequential([
        keras.layers.RandomTranslation(0.12, 0.12, fill_mode="constant", fill_value=-1.0,
                                       seed=args.seed),
        keras.layers.RandomRotation(15 / 360, fill_mode="constant", fill_value=-1.0,
                                    seed=args.seed + 1),
        # Zoom out further than in: MNIST-style digits (a 20x20 box in a
        # 28x28 frame) are smaller in their frame than the 8x8 digits are.
        keras.layers.RandomZoom((-0.15, args.zoom_out), fill_mode="constant", fill_value=-1.0,
                                seed=args.seed + 2),
    ], name="augment")

    def augment_batch(x, y):
        x = augment(x, training=True)
        x = tf.clip_by_value(_thickness(x, rng), -1.0, 1.0)
        return x, y

    train = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
             .shuffle(len(x_train), seed=args.seed, reshuffle_each_iteration=True)
             .batch(args.batch_size).map(augment_batch))

    model = digits.build_digit_classifier()
    steps = args.epochs * int(np.ceil(len(x_train) / args.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(args.learning_rate, steps)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.time()
    model.fit(train, epochs=args.epochs, verbose=2)
    seconds = time.time() - start

    _, test_acc = model.evaluate(x_test, y_test, verbose=0)
    _, train_acc = model.evaluate(x_train, y_train, verbose=0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    weights = out / digits.WEIGHTS_FILE
    # A fresh, uncompiled copy: save_weights of the compiled model would also
    # store the optimizer's slots (3x the size).
    clean = digits.build_digit_classifier()
    clean.set_weights(model.get_weights())
    clean.save_weights(str(weights))
    # A checksum of the values (the .h5 bytes carry HDF5 metadata): equal
    # across runs when training is reproducible.
    values_sha = hashlib.sha256(b"".join(w.astype("<f4").tobytes() for w in clean.get_weights()))
    mnist = _mnist_check(clean)
    record = {
        "held_out_accuracy": round(float(test_acc), 4),
        "train_accuracy": round(float(train_acc), 4),
        "held_out_size": int(len(x_test)),
        "train_size": int(len(x_train)),
        "data": "sklearn digits (1,797 8x8 images) resized to 16x16, scale tanh; stratified "
                "80/20 split",
        "augmentation": (f"translation 0.12, rotation 15 deg, zoom in 0.15 / out {args.zoom_out}, "
                         "stroke dilation/erosion"),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "parameters": int(model.count_params()),
        "input_size": list(digits.INPUT_SIZE),
        "feature_dim": digits.FEATURE_DIM,
        "weights_values_sha256": values_sha.hexdigest(),
        "weights_bytes": weights.stat().st_size,
        "training_seconds": round(seconds, 1),
        "mnist7k_predicted_class_fractions": mnist,
        "command": "python tools/train_digit_classifier.py",
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }
    (out / digits.RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
