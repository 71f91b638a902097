"""A training process for the kill -9 test: tiny DCGAN on the digits, checkpoints every 4 steps.

    python _worker.py RUN_DIR fit|loop [--kill-at-step N | --kill-in-checkpoint N]

`--kill-at-step N` SIGKILLs itself right after global step N;
`--kill-in-checkpoint N` SIGKILLs itself inside the checkpoint of step N,
after TensorFlow wrote its files and before the manifest (a half-written
checkpoint).
"""

import argparse
import os
import signal
import sys

EPOCHS = 3


def build(seed=0):
    import keras

    from kgen import zoo

    keras.utils.set_random_seed(seed)
    return zoo.build("dcgan", (8, 8, 1), tiny=True, seed=seed)


def dataset():
    from kgen import data

    return data.load("digits", image_size=8, batch_size=128, seed=0)


def run(run_dir, mode, kill_at_step=None, kill_in_checkpoint=None, epochs=EPOCHS):
    """Train into `run_dir` (resuming if it can); returns the model."""
    import keras

    from kgen import checkpoints, runs, training

    model = build()
    callbacks = runs.callbacks_for(run_dir, samples=16, tensorboard=False)
    if kill_at_step:
        class Kill(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if callbacks[-1].global_step == kill_at_step:
                    os.kill(os.getpid(), signal.SIGKILL)

        callbacks.insert(0, Kill())
    if kill_in_checkpoint:
        write_manifest = checkpoints.TrainingCheckpoint._write_manifest  # noqa: SLF001

        def dying_manifest(self, prefix):
            if self.global_step == kill_in_checkpoint:
                os.kill(os.getpid(), signal.SIGKILL)
            write_manifest(self, prefix)

        checkpoints.TrainingCheckpoint._write_manifest = dying_manifest  # noqa: SLF001
    training.train(model, dataset(), epochs=epochs, callbacks=callbacks, verbose=0,
                   force_loop=mode == "loop", checkpoint_every=4)
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("mode", choices=("fit", "loop"))
    parser.add_argument("--kill-at-step", type=int)
    parser.add_argument("--kill-in-checkpoint", type=int)
    a = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    run(a.run_dir, a.mode, a.kill_at_step, a.kill_in_checkpoint)
    sys.exit(0)
