"""A callback that shows what a language model writes as it trains."""

import os

import keras
import tensorflow as tf


class TextSamples(keras.callbacks.Callback):
    """Write a text sample every epoch into a folder and, optionally, TensorBoard's text tab.

    Every epoch draws with the same seed from the same prompt, so successive
    files show the same randomness read by a better model (lecture 000: the
    samples improve "as it trains more"). The model must offer
    `sample(prompt, length, temperature, top_k, top_p, seed)` (a
    `kgen.models.CharRNN`).

    Args:
        directory: where `epoch_XXXX.txt` files go.
        prompt: text to continue (None: the model's default prompt).
        length: characters generated per sample.
        temperature, top_k, top_p: sampling options.
        seed: the seed of every sample.
        every: write every `every` epochs.
        tensorboard_dir: if set, also log the sample as TensorBoard text
            (`samples/text`, under `<tensorboard_dir>/samples`).

    Example:
        >>> model.fit(ds, epochs=10, callbacks=[TextSamples("runs/x/samples", prompt="ROMEO:")])
    """

    def __init__(self, directory, prompt=None, length=500, temperature=0.8, top_k=0, top_p=1.0, seed=0,
                 every=1, tensorboard_dir=None):
        super().__init__()
        self.directory = str(directory)
        self.prompt = prompt
        self.length = int(length)
        self.temperature = temperature
        self.top_k = top_k
        self.top_p = top_p
        self.seed = seed
        self.every = max(int(every), 1)
        self.tensorboard_dir = tensorboard_dir
        self._writer = None
        self.last_path = None
        self.last_text = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        text = self.model.sample(self.prompt, self.length, self.temperature, self.top_k, self.top_p,
                                 seed=self.seed)
        os.makedirs(self.directory, exist_ok=True)
        self.last_path = os.path.join(self.directory, f"epoch_{epoch + 1:04d}.txt")
        with open(self.last_path, "w", encoding="utf-8") as f:
            f.write(text)
        self.last_text = text
        if self.tensorboard_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(os.path.join(self.tensorboard_dir, "samples"))
            with self._writer.as_default():
                # Markdown: indent four spaces so line breaks and spacing survive.
                tf.summary.text("samples/text", "    " + text.replace("\n", "\n    "), step=epoch + 1)
            self._writer.flush()
