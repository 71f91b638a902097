"""Domain-adversarial neural networks (Ganin et al., 2016): features that classify the source and hide the domain.

https://arxiv.org/abs/1505.07818
"""

import keras
from keras import ops

from kgen.layers.gradient_reversal import dann_lambda, reverse_gradient
from kgen.losses import representation as rep_losses
from kgen.models.core import Endpoint, GenerativeModel, SingleObjectiveSteps, TensorSpec
from kgen.models.representation.base import EncoderFeatures
from kgen.networks.autoencoders import build_conv_encoder
from kgen.networks.representation import build_dense_feature_encoder, build_head, build_pooled_conv_encoder
from kgen.zoo import register_builder


@keras.saving.register_keras_serializable(package="kgen")
class AnnealedLearningRate(keras.optimizers.schedules.LearningRateSchedule):
    """Ganin et al.'s learning-rate annealing `mu_p = mu_0 / (1 + alpha p)^beta`, `p = step / total_steps`.

    https://arxiv.org/abs/1505.07818 (section 5.2.2: mu_0 = 0.01, alpha = 10, beta = 0.75)

    Example:
        >>> opt = keras.optimizers.SGD(AnnealedLearningRate(0.01, 10000), momentum=0.9)
    """

    def __init__(self, initial_learning_rate=0.01, total_steps=10000, alpha=10.0, beta=0.75):
        if int(total_steps) < 1:
            raise ValueError(f"expected total_steps >= 1. Received: total_steps={total_steps}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        self.alpha = float(alpha)
        self.beta = float(beta)

    def __call__(self, step):
        p = ops.minimum(ops.cast(step, "float32") / float(self.total_steps), 1.0)
        return self.initial_learning_rate / ops.power(1.0 + self.alpha * p, self.beta)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "total_steps": self.total_steps,
                "alpha": self.alpha, "beta": self.beta}


@keras.saving.register_keras_serializable(package="kgen")
class DANN(SingleObjectiveSteps, EncoderFeatures, GenerativeModel):
    """Domain-adversarial training: a feature extractor, a label classifier and a domain classifier.

    Batches are `(x, labels)` under kgen's masked-label convention read as
    domains: labelled examples are the SOURCE domain, examples labelled -1
    (`UNLABELLED`) the TARGET domain, whose labels are never seen (Ganin et
    al.'s setting). The loss is

        mean_source CE(label_classifier(f), y) + domain_weight * mean_all BCE(domain_classifier(R_lambda(f)), d)

    with `d = 1` for source, 0 for target, and `R_lambda` the gradient
    reversal (`kgen.layers.reverse_gradient`): the domain classifier
    descends its loss, the feature extractor ascends it (times lambda).
    `lambda_p = 2 / (1 + exp(-gamma p)) - 1` with `p = step / total_steps`
    (capped at 1). One optimizer updates all three networks in ONE update
    per step, so its momentum carries over from step to step (the builder's
    SGD with momentum 0.9 and `AnnealedLearningRate`, as in the paper).

    Args:
        feature_extractor: Keras network `x -> (N, d)` (the `encoder`).
        label_classifier: Keras network `(N, d) -> (N, K)` logits.
        domain_classifier: Keras network `(N, d) -> (N, 1)` logit of "source".
        total_steps: optimizer steps of the whole training (the progress p).
        gamma: steepness of the lambda schedule (10).
        domain_weight: weight of the domain loss.
        seed: seed of the model's noise.

    Example:
        >>> dann = kgen.zoo.build("dann", (16, 16, 3), num_classes=10, total_steps=3000)
        >>> dann.fit(kgen.data.representation.adaptation_dataset(src, y, tgt, batch_size=64), epochs=30)
    """

    def __init__(self, feature_extractor, label_classifier, domain_classifier, total_steps=10000, gamma=10.0,
                 domain_weight=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if int(total_steps) < 1:
            raise ValueError(f"expected total_steps >= 1 (the training length for the lambda schedule). "
                             f"Received: total_steps={total_steps}")
        if int(domain_classifier.output_shape[-1]) != 1:
            raise ValueError(f"the domain classifier must output one logit. Received: {domain_classifier.output_shape}")
        self.encoder = feature_extractor
        self.label_classifier = label_classifier
        self.domain_classifier = domain_classifier
        self.total_steps = int(total_steps)
        self.gamma = float(gamma)
        self.domain_weight = float(domain_weight)
        self.image_shape = tuple(int(s) for s in feature_extractor.input_shape[1:])
        self.value_range = (-1.0, 1.0) if len(self.image_shape) == 3 else None
        self.built = True

    @property
    def num_classes(self):
        return int(self.label_classifier.output_shape[-1])

    def metric_names(self):
        return ["loss", "class_loss", "domain_loss", "accuracy", "domain_accuracy", "lambda"]

    def batch_inputs(self, data):
        x, y = self.unpack_batch(data)
        if y is None:
            raise ValueError("DANN trains on (x, labels) batches: source examples labelled, target ones "
                             "labelled -1 (kgen.data.representation.adaptation_arrays).")
        return (x, y)

    def progress(self):
        """Training progress p = optimizer step / total_steps, in [0, 1]."""
        step = self.optimizer.iterations if self.optimizer is not None else 0
        return ops.minimum(ops.cast(step, "float32") / float(self.total_steps), 1.0)

    def adaptation_weight(self):
        """lambda_p of the current step."""
        return dann_lambda(self.progress(), self.gamma)

    def compute_losses(self, x, labels, training=True, lambda_=None):
        """`{"loss": class + domain_weight * domain, ...}`; `lambda_` overrides the scheduled reversal weight."""
        lam = self.adaptation_weight() if lambda_ is None else ops.cast(lambda_, "float32")
        labels = ops.cast(labels, "int32")
        features = ops.cast(self.encoder(x, training=training), "float32")
        logits = ops.cast(self.label_classifier(features, training=training), "float32")
        class_loss = rep_losses.masked_sparse_categorical_crossentropy(labels, logits)
        source = rep_losses.labelled_mask(labels)
        domain_logits = ops.cast(self.domain_classifier(reverse_gradient(features, lam), training=training),
                                 "float32")[:, 0]
        domain_loss = ops.mean(ops.binary_crossentropy(source, domain_logits, from_logits=True))
        domain_acc = ops.mean(ops.cast(ops.equal(ops.cast(domain_logits > 0, "float32"), source), "float32"))
        return {"loss": class_loss + self.domain_weight * domain_loss, "class_loss": class_loss,
                "domain_loss": domain_loss, "accuracy": rep_losses.masked_accuracy(labels, logits),
                "domain_accuracy": domain_acc, "lambda": lam}

    # -- inference ----------------------------------------------------------------
    def call(self, x, training=False):
        return self.classify(x, training=training)

    def classify(self, x, training=False):
        """Class probabilities `(N, K)`."""
        x = ops.convert_to_tensor(x, "float32")
        return ops.softmax(ops.cast(self.label_classifier(self.encoder(x, training=training), training=training),
                                    "float32"))

    def reconstruct(self, x, training=False):
        """Sample-grid view of images: each image with its predicted class marked on its bottom row.

        The bottom row is set to the value-range minimum except a bright
        segment at `class * W / K` (so a grid of inputs and "reconstructions"
        shows what the classifier says).
        """
        x = ops.convert_to_tensor(x, "float32")
        if len(x.shape) != 4:
            raise ValueError(f"reconstruct() draws on images (N, H, W, C). Received: shape={tuple(x.shape)}")
        w = int(x.shape[2])
        k = self.num_classes
        pred = ops.argmax(self.classify(x, training=training), -1)
        cols = ops.arange(w) * k // w  # the class each column stands for
        row = ops.where(ops.equal(cols[None, :], ops.cast(pred, cols.dtype)[:, None]), 1.0, -1.0)  # (N, W)
        row = ops.repeat(row[:, None, :, None], int(x.shape[3]), axis=3)
        return ops.concatenate([x[:, :-1], row], axis=1)

    def export_endpoints(self):
        info = {"value_range": list(self.value_range)} if self.value_range else {}
        classify = Endpoint("classify", self.label_classifier,
                            [TensorSpec("images", self.image_shape, "float32", "image", info)],
                            [TensorSpec("probabilities", (self.num_classes,), "float32", "output")],
                            call=lambda network, images: ops.softmax(
                                ops.cast(network(self.encoder(images, training=False)), "float32")))
        return [self.features_endpoint(), classify]

    def get_config(self):
        ser = keras.saving.serialize_keras_object
        return {**super().get_config(), "feature_extractor": ser(self.encoder),
                "label_classifier": ser(self.label_classifier), "domain_classifier": ser(self.domain_classifier),
                "total_steps": self.total_steps, "gamma": self.gamma, "domain_weight": self.domain_weight}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("feature_extractor", "label_classifier", "domain_classifier"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


#: Image feature extractors of `dann_networks`: kgen's strided one, or Ganin et al.'s MNIST network.
EXTRACTORS = ("strided", "ganin")


def dann_networks(input_shape, num_classes, tiny=False, filters=None, feature_dim=None, hidden=None,
                  extractor="strided"):
    """Feature extractor, label classifier and domain classifier for images `(H, W, C)` or points `(D,)`.

    Images, `extractor="strided"` (default): 4x4 stride-2 convolutions
    `filters` (32, 48) and a `feature_dim` (128) relu layer; both classifiers
    one hidden layer of 100. `extractor="ganin"`: the paper's MNIST network
    (https://arxiv.org/abs/1505.07818, figure 4a): 5x5 convolutions 32 and 48
    each followed by a 2x2 max-pool, flattened; label classifier 100-100-K,
    domain classifier 100-1 (`feature_dim` unused).
    """
    shape = tuple(int(s) for s in input_shape)
    if extractor not in EXTRACTORS:
        raise ValueError(f"expected extractor in {EXTRACTORS}. Received: extractor={extractor!r}")
    hidden = tuple(hidden or ((8,) if tiny else (100,)))
    label_hidden = hidden
    if len(shape) == 1:
        features = build_dense_feature_encoder(shape[0], (8,) if tiny else (32, 32), name="feature_extractor")
    elif len(shape) == 3 and extractor == "ganin":
        features = build_pooled_conv_encoder(shape, tuple(filters or ((4, 8) if tiny else (32, 48))), 5)
        label_hidden = hidden * 2  # the paper's label predictor has two hidden layers, its domain classifier one
    elif len(shape) == 3:
        filters = tuple(filters or ((4, 8) if tiny else (32, 48)))
        feature_dim = int(feature_dim or (8 if tiny else 128))
        features = build_conv_encoder(shape, feature_dim, filters, output_activation="relu", name="feature_extractor")
    else:
        raise ValueError(f"expected images (H, W, C) or points (D,). Received: input_shape={shape}")
    dim = int(features.output_shape[-1])
    return (features, build_head(dim, num_classes, label_hidden, name="label_classifier"),
            build_head(dim, 1, hidden, name="domain_classifier"))


@register_builder("dann", labels=True, scale="tanh", paper="Ganin et al. 2016, https://arxiv.org/abs/1505.07818")
def build_dann(input_shape, num_classes=None, tiny=False, seed=None, total_steps=10000, learning_rate=0.01,
               momentum=0.9, gamma=10.0, domain_weight=1.0, filters=None, feature_dim=None, extractor="strided",
               **compile_kwargs):
    """DANN: feature extractor, label and domain classifiers, gradient reversal, SGD with annealed rate.

    Batches: source examples with labels, target examples with label -1.
    `extractor="ganin"` builds the paper's MNIST networks (`dann_networks`).

    Returns:
        A compiled `DANN`.
    """
    if not num_classes:
        raise ValueError("dann needs num_classes (the classes of the labelled source domain).")
    nets = dann_networks(input_shape, num_classes, tiny, filters, feature_dim, extractor=extractor)
    model = DANN(*nets, total_steps=total_steps, gamma=gamma, domain_weight=domain_weight, seed=seed)
    optimizer = keras.optimizers.SGD(AnnealedLearningRate(learning_rate, total_steps), momentum=momentum)
    model.compile(optimizer=optimizer, **compile_kwargs)
    return model
