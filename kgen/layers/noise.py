"""Instance noise (Sønderby et al., 2016; Arjovsky & Bottou, 2017).

Gaussian noise added to every discriminator input, real and fake alike, so
the two distributions overlap early in training; annealed to zero by
`kgen.callbacks.tricks.InstanceNoiseSchedule`. https://arxiv.org/abs/1610.04490
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="kgen")
class InstanceNoise(keras.layers.Layer):
    """Add `N(0, stddev^2)` noise in training; identity at inference.

    Place it as the discriminator's first layer. `stddev` is a non-trainable
    variable, so a callback can anneal it without retracing the step.

    Args:
        stddev: initial noise standard deviation.
        seed: seed of the noise.

    Example:
        >>> x = InstanceNoise(0.1)(images)
    """

    def __init__(self, stddev=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.initial_stddev = float(stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed, name="instance_noise_seed")

    def build(self, input_shape):
        self.stddev = self.add_weight(shape=(), trainable=False, name="stddev",
                                      initializer=keras.initializers.Constant(self.initial_stddev))
        self.built = True

    def call(self, inputs, training=False):
        if not training:
            return inputs
        noise = keras.random.normal(ops.shape(inputs), seed=self.seed_generator)
        return inputs + ops.cast(self.stddev * noise, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.initial_stddev, "seed": self.seed}
