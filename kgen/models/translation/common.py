"""What every image-to-image model shares: translation instead of sampling, and the perceptual loss."""

import os
from pathlib import Path

import keras
import tensorflow as tf
from keras import ops

from kgen.losses.perceptual import perceptual_distance
from kgen.models.core import Endpoint, TensorSpec
from kgen.models.gan.penalties import GANPenalty

VALUE_RANGE = {"value_range": [-1.0, 1.0]}
#: Keras' file names of the ImageNet VGG weights without the classifier (what `include_top=False` loads).
VGG_WEIGHTS = {"vgg16": "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
               "vgg19": "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"}
#: Default feature layers: VGG54 of Ledig et al. (the 4th conv of block 5, after its ReLU); two
#: convolutions of kgen's digit classifier (16x16 and 8x8 maps).
DEFAULT_LAYERS = {"vgg16": ["block5_conv3"], "vgg19": ["block5_conv4"], "digits": ["conv1", "conv3"]}
# Caffe-style VGG preprocessing: BGR order, ImageNet channel means subtracted, 0..255 range.
_VGG_BGR_MEAN = (103.939, 116.779, 123.68)


class TranslatorMixin:
    """For models that map input images to output images (no prior to sample).

    `generate` has nothing to draw from: it explains to call `translate`.
    `reconstruct(images)` is `translate(images)`, which is what kgen's
    sample grids show for a model without a prior (input | output pairs).
    """

    def generate(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} translates images and samples nothing: call "
                         "translate(input_images) (or `kgen translate RUN_DIR INPUT...`).")

    def reconstruct(self, images):
        """`translate(images)` as float32 numpy-compatible tensors (what sample grids show)."""
        return ops.cast(self.translate(images), "float32")


def check_images(images, what="images"):
    images = ops.convert_to_tensor(images, "float32")
    if len(images.shape) != 4:
        raise ValueError(f"expected {what} of rank 4 (N, H, W, C). Received: shape={tuple(images.shape)}")
    return images


def translate_endpoint(name, network, output_name="translated", input_name="images"):
    """An `Endpoint` from images in [-1, 1] to images in [-1, 1] through `network`."""
    in_shape = tuple(network.inputs[-1].shape[1:])
    out_shape = tuple(network.output_shape[1:])
    return Endpoint(name, network, [TensorSpec(input_name, in_shape, "float32", "image", dict(VALUE_RANGE))],
                    [TensorSpec(output_name, out_shape, "float32", "image", dict(VALUE_RANGE))])


def _vgg_weights_file(kind, weights_file):
    path = Path(weights_file or Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
                / VGG_WEIGHTS[kind]).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"perceptual loss with {kind.upper()} needs the Keras ImageNet weights file {VGG_WEIGHTS[kind]} "
            f"(looked for {path}). kgen trains offline and downloads nothing: copy that file there, pass "
            f"weights_file='/path/to/{VGG_WEIGHTS[kind]}', or use the shipped network "
            "(feature_network='digits').")
    return str(path)


def build_feature_network(feature_network="digits", layers=None, weights_file=None):
    """A frozen Keras model from images in [-1, 1] to the chosen layers' feature maps.

    Args:
        feature_network: "digits" (kgen's shipped digit classifier, offline),
            "vgg16" / "vgg19" (ImageNet weights from a local Keras weights
            file), or a Keras model.
        layers: layer names (default: `DEFAULT_LAYERS`; for a given model, its
            output).
        weights_file: the VGG weights file (default: Keras' cache path).

    Returns:
        `(model, layers)`: the feature model (list of outputs) and the names.
    """
    if isinstance(feature_network, keras.Model):
        base, kind = feature_network, "model"
    elif feature_network == "digits":
        from kgen.features.digits import load_digit_classifier

        base, kind = load_digit_classifier(weights_file), "digits"
    elif feature_network in VGG_WEIGHTS:
        cls = keras.applications.VGG16 if feature_network == "vgg16" else keras.applications.VGG19
        base = cls(include_top=False, weights=_vgg_weights_file(feature_network, weights_file),
                   input_shape=(None, None, 3))
        kind = feature_network
    else:
        raise ValueError(f"expected feature_network 'digits', 'vgg16', 'vgg19' or a keras.Model. "
                         f"Received: {feature_network!r}")
    if layers is None:
        layers = DEFAULT_LAYERS.get(kind)
    if layers:
        try:
            outputs = [base.get_layer(name).output for name in layers]
        except ValueError as err:
            names = [layer.name for layer in base.layers]
            raise ValueError(f"unknown feature layer in {list(layers)}; {kind} has {names}") from err
        model = keras.Model(base.inputs, outputs, name=f"{kind}_features")
    else:
        model, layers = base, []
    model.trainable = False
    return model, list(layers)


@keras.saving.register_keras_serializable(package="kgen")
class PerceptualLoss(GANPenalty):
    """`weight * sum_l w_l mean((phi_l(target) - phi_l(output))^2)`: a content loss in feature space.

    Ledig et al.'s VGG loss (SRGAN, Eq. 5) and Johnson et al.'s feature
    reconstruction loss, through `kgen.losses.perceptual.perceptual_distance`.
    As a GAN penalty it acts on the generator (fakes against their paired
    targets); `distance(target, output)` serves other models (SRResNet).
    Inputs in [-1, 1] are prepared as the network expects: for VGG, 0..255,
    RGB -> BGR, ImageNet means subtracted (Keras' `preprocess_input`, "caffe"
    mode), grey images repeated to 3 channels; for the digit classifier,
    colour to grey and resized to its 16x16 input.

    Args:
        weight: the loss weight.
        feature_network: "digits" (default, shipped with kgen: offline),
            "vgg16", "vgg19" (needs the local Keras weights file; a clear
            error names it otherwise), or a Keras model.
        layers: feature layer names (default: VGG54 for VGG, conv1 + conv3 for digits).
        layer_weights: one weight per layer.
        weights_file: local weights file of the feature network.
        feature_scale: features are divided by this before the distance
            (Ledig et al. rescale VGG features by 1/12.75).

    Example:
        >>> PerceptualLoss(1.0, "digits").distance(hr_images, sr_images)
    """

    def __init__(self, weight=1.0, feature_network="digits", layers=None, layer_weights=None, weights_file=None,
                 feature_scale=1.0, name="perceptual_loss", **kwargs):
        super().__init__(roles=("generator",), name=name, **kwargs)
        self.weight = float(weight)
        if isinstance(feature_network, dict):
            feature_network = keras.saving.deserialize_keras_object(feature_network)
        self.kind = feature_network if isinstance(feature_network, str) else "model"
        self.weights_file = weights_file
        self.features, self.layer_names = build_feature_network(feature_network, layers, weights_file)
        self.layer_weights = None if layer_weights is None else [float(w) for w in layer_weights]
        self.feature_scale = float(feature_scale)
        shape = self.features.inputs[0].shape
        self.input_size = None if shape[1] is None else (int(shape[1]), int(shape[2]))
        self.input_channels = int(shape[-1])

    def prepare(self, images):
        """Images in [-1, 1] -> the feature network's input (size, channels, preprocessing)."""
        x = ops.cast(images, "float32")
        channels = x.shape[-1]
        if self.input_channels == 1 and channels == 3:
            x = ops.sum(x * ops.convert_to_tensor([0.299, 0.587, 0.114]), axis=-1, keepdims=True)
        elif self.input_channels == 3 and channels == 1:
            x = ops.concatenate([x, x, x], axis=-1)
        if self.input_size is not None and tuple(x.shape[1:3]) != self.input_size:
            x = tf.image.resize(x, self.input_size, method="bilinear", antialias=True)
        if self.kind in VGG_WEIGHTS:
            x = (x + 1.0) * 127.5
            x = x[..., ::-1] - ops.convert_to_tensor(_VGG_BGR_MEAN)
        return x

    def feature_maps(self, images):
        out = self.features(self.prepare(images), training=False)
        out = out if isinstance(out, (list, tuple)) else [out]
        return [ops.cast(f, "float32") / self.feature_scale for f in out]

    def distance(self, target, output):
        """The weighted perceptual distance between targets and outputs (no `weight`)."""
        return perceptual_distance(self.feature_maps(target), self.feature_maps(output), self.layer_weights)

    def penalty(self, model, outputs):
        return self.weight * self.distance(outputs.real, outputs.generated)

    def get_config(self):
        network = self.kind if self.kind != "model" else keras.saving.serialize_keras_object(self.features)
        return {**super().get_config(), "weight": self.weight, "feature_network": network,
                "layers": self.layer_names or None, "layer_weights": self.layer_weights,
                "weights_file": self.weights_file, "feature_scale": self.feature_scale}
