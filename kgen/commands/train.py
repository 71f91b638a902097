"""`kgen train`: train a registered model on a data source into a run directory.

`run` goes through these steps in order; nothing is written before
`prepare_run`, so a bad invocation never creates or changes a run directory:

1. `validate`: flags alone (their types were checked by argparse already).
2. `load_data`: the data source, decoded and checked (`DataError`).
3. `check_data`: data kind against the model, labels against the classes.
4. `build_model`: the strategy, mixed precision, the model, optimizer flags.
5. `make_datasets`: the pipeline batch (`d_steps` x `--batch-size`).
6. `prepare_run`: the run directory and its `config.json`.
7. `fit` and `finish`: train, save, print where everything is, `--export`.

TensorFlow-heavy modules are imported inside the steps, so that `--help` and
flag errors answer at once.
"""

import dataclasses
import inspect
import shlex
import sys
import time
from pathlib import Path

from kgen.commands._args import (
    IMAGE_FLAGS,
    MAX_INFERRED_CLASSES,
    SEQUENCE_FLAGS,
    add_data_arguments,
    beta,
    decay,
    int_at_least,
    model_setting,
    model_settings,
    non_negative_int,
    on_error,
    positive_float,
    positive_int,
    reject_flags,
    source_options,
)
from kgen.commands import _translation
from kgen.errors import UserError

HELP = "train a model (default: DCGAN on the embedded digits) into a run directory"

STRATEGIES = ("auto", "default", "cpu", "gpu", "mirrored", "multiworker", "tpu")
MIXED_PRECISION = {"bf16": "mixed_bfloat16", "fp16": "mixed_float16"}
#: The embedded (offline) data set of each data kind: --data when none is given.
DEFAULT_DATA = {"images": "digits", "points": "ring8", "sequences": "sines", "text": "zen", "color_images": "photos"}
_KIND_SOURCES = {"images": "digits, FILE.npz, an image folder or tfds:NAME",
                 "points": "ring8 or grid25", "sequences": "sines, text:FILE or a sequence FILE.npz",
                 "text": "text:FILE (any UTF-8 text) or zen",
                 "color_images": "photos, digits_m or an RGB image folder"}
DEFAULT_DATA.update(_translation.DEFAULT_DATA)  # image-to-image kinds (kgen/commands/_translation.py)
_KIND_SOURCES.update(_translation.KIND_SOURCES)
#: Sources of character ids, the data of "text" models (character language models).
_TEXT_SOURCES = ("text", "zen")
# Flags recorded in config.json for --config replay; the rest are per invocation.
_NOT_RECORDED = {"config", "list_models", "run_dir", "debug", "_run", "command", "resume", "overwrite"}


def add_arguments(p):
    p.add_argument("--config", metavar="FILE", default=None,
                   help="TOML or JSON settings named as the flags (batch_size = 32); a run's "
                        "config.json replays that run; flags given here win (default: none)")
    m = p.add_argument_group("model")
    m.add_argument("--model", default="dcgan", help="registered model name (see --list-models)")
    m.add_argument("--list-models", action="store_true",
                   help="print each model's data kind, description and paper, and exit")
    m.add_argument("--tiny", action="store_true", help="a very small network (smoke tests)")
    m.add_argument("--latent-dim", type=positive_int, default=None, metavar="N",
                   help="latent (code) size (default: the model's paper setting)")
    m.add_argument("--num-classes", type=int_at_least(2), default=None, metavar="K",
                   help="conditional models: labels must lie in 0..K-1 (default: from the data, "
                        f"at most {MAX_INFERRED_CLASSES} classes inferred from label values)")
    add_data_arguments(p, labels_help="train on the source's labels: conditional models need them, "
                                      "others take none (default: as the model needs)")
    m.add_argument("--set", type=model_setting, action="append", default=None, metavar="KEY=VALUE",
                   help="a hyperparameter for the model's builder, repeatable: --set loss=hybrid "
                        "--set hybrid_weight=0.001: a keyword of the model's builder or class (VALUE read "
                        "as JSON, else text; default: none)")
    t = p.add_argument_group("training")
    t.add_argument("--epochs", type=positive_int, default=20, help="epochs to train")
    t.add_argument("--batch-size", type=positive_int, default=64, metavar="B",
                   help="examples per discriminator/critic step: a GAN with d_steps critic steps "
                        "per generator step reads d_steps*B per step; other models read B")
    t.add_argument("--steps-per-epoch", type=positive_int, default=None, metavar="N",
                   help="training steps per epoch; the data repeats as needed (default: one pass "
                        "over the data)")
    t.add_argument("--seed", type=non_negative_int, default=0, help="seed of weights, noise and shuffling")
    t.add_argument("--lr", type=positive_float, default=None,
                   help="learning rate of every optimizer (default: the model's paper setting)")
    t.add_argument("--d-lr", type=positive_float, default=None,
                   help="GANs: the discriminator's learning rate (default: --lr)")
    t.add_argument("--g-lr", type=positive_float, default=None,
                   help="GANs: the generator's learning rate (default: --lr)")
    t.add_argument("--beta1", type=beta, default=None,
                   help="Adam's beta_1 for every optimizer (default: the model's setting)")
    t.add_argument("--beta2", type=beta, default=None,
                   help="Adam's beta_2 for every optimizer (default: the model's setting)")
    t.add_argument("--mixed-precision", choices=tuple(MIXED_PRECISION), default=None,
                   help="compute in bfloat16 or float16 with float32 weights (default: float32)")
    t.add_argument("--ema", type=decay, nargs="?", const=0.999, default=None, metavar="DECAY",
                   help="GANs: keep an exponential moving average of the generator (DECAY 0.999 "
                        "when omitted) and save it as the model's generator (default: off). Refused "
                        "for ddpm/cddpm: they average their denoiser themselves (the model's ema_decay, "
                        "with warm-up), and sampling and export use that average")
    t.add_argument("--jit", action="store_true", help="compile the train step with XLA")
    t.add_argument("--labels-per-class", type=positive_int, default=None, metavar="K",
                   help="semi-supervised models (m2_vae): keep K labels per class, mark the rest -1, "
                        "unlabelled (default: every label)")
    t.add_argument("--target", default=None, metavar="SOURCE",
                   help="domain adaptation (dann): an unlabelled target domain such as digits_m; its "
                        "examples join the data with label -1 (default: none)")
    t.add_argument("--sample-every", type=non_negative_int, default=1, metavar="N",
                   help="epochs between sample grids (0: none)")
    h = p.add_argument_group("hardware")
    h.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="tf.distribute strategy: auto picks TPU, multi-worker (TF_CONFIG), "
                        "mirrored over several GPUs, else one device")
    h.add_argument("--device", choices=("cpu", "gpu"), default=None,
                   help="the device type the strategy runs on (default: GPU when there is one)")
    o = p.add_argument_group("output")
    o.add_argument("--run-dir", default=None, metavar="DIR",
                   help="output directory (default: runs/MODEL-DATA)")
    o.add_argument("--export", action="store_true",
                   help="after training, export SavedModel + TFLite variants into RUN_DIR/export")
    o.add_argument("--quantize", default=None,
                   help="TFLite variants for --export: float32, dynamic, float16, int8, int8_io "
                        "(default: float32,dynamic,float16,int8)")
    o.add_argument("--resume", action="store_true",
                   help="continue the run in --run-dir, allowing a different --epochs (default: a rerun with "
                        "the same flags resumes; other flags are refused)")
    o.add_argument("--overwrite", action="store_true",
                   help="delete what kgen wrote in --run-dir and start over")
    o.add_argument("--checkpoint-every", type=positive_int, default=None, metavar="N",
                   help="also checkpoint every N steps, for long epochs (default: at each epoch end)")
    o.add_argument("--no-nan-guard", action="store_true",
                   help="train on through NaN/inf losses or weights (default: stop at that step, keep "
                        "the last good checkpoint)")
    o.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="0 quiet, 1 progress bar, 2 one line per epoch and the converter's log")


@dataclasses.dataclass
class Data:
    """What `load_data` read: training arrays and what the config records about them."""

    x: object
    y: object = None
    x_val: object = None
    num_classes: int = None
    class_names: list = None
    info: dict = dataclasses.field(default_factory=dict)
    one_hot: int = None  # ids become one-hot features of this width, batch by batch

    @property
    def input_shape(self):
        """The shape of one model input."""
        shape = tuple(int(v) for v in self.x.shape[1:])
        return shape + (self.one_hot,) if self.one_hot else shape


def run(args):
    from kgen import runs

    if args.list_models:
        return list_models()
    builder = validate(args)
    if args.resume and args.overwrite:
        raise UserError("--resume continues the run in --run-dir, --overwrite deletes it: pass one of them.")
    run_dir = _run_dir(args)
    # A run directory has one owner: a second `kgen train` into it fails here,
    # before any work (this checks without creating anything).
    runs.RunLock(run_dir).check_free()
    data = check_data(args, builder, load_data(args, builder))
    policy = _set_precision(args.mixed_precision)
    try:
        model, strategy = build_model(args, builder, data)
        dataset, validation, steps = make_datasets(args, model, strategy, data)
        config = run_config(args, builder, data, model, strategy, steps)
        with prepare_run(args, run_dir, config) as opened:
            if opened.action == "done":
                return 0
            start = time.time()
            history, ema = fit(args, builder, model, run_dir, dataset, validation, steps, data)
            if history is None:  # interrupted by a signal, checkpointed
                return ema
            seconds = time.time() - start
            return finish(args, model, run_dir, history, ema, seconds)
    finally:
        _restore_precision(policy)


def list_models():
    """Print one line per registered model: name, data kind, description, paper."""
    from kgen import zoo

    for name in zoo.names():
        b = zoo.get(name)
        kind = b.data + (", labels" if b.labels else "")
        print(f"{name:24s} {kind:16s} {b.description}  [paper: {b.paper or 'none given'}]")
    return 0


def validate(args):
    """Check the flags against each other and the model's registration; returns the builder."""
    from kgen import zoo

    if args.model not in zoo.names():
        raise UserError(f"unknown model {args.model!r} (--model); known models: "
                        f"{', '.join(zoo.names())} (see `kgen train --list-models`).")
    builder = zoo.get(args.model)
    if args.data is None:
        if builder.data not in DEFAULT_DATA:
            raise UserError(f"model {args.model} trains on {builder.data}, which has no embedded data "
                            "set: pass --data.")
        args.data = DEFAULT_DATA[builder.data]
    if args.labels and not builder.labels:
        raise UserError(f"--labels: model {args.model} is unconditional and takes no labels; train a "
                        "conditional model (e.g. --model cgan or cvae), or drop --labels.")
    if args.labels is False and builder.labels:
        raise UserError(f"--no-labels: model {args.model} is conditional and needs labels; drop "
                        "--no-labels, or train an unconditional model.")
    if args.num_classes is not None and not builder.labels:
        raise UserError(f"--num-classes: model {args.model} is unconditional; drop --num-classes.")
    _check_source_kind(args, builder)
    if builder.data == "sequences":
        reject_flags(args, IMAGE_FLAGS, f"model {args.model} trains on sequences")
    else:
        reject_flags(args, SEQUENCE_FLAGS, f"model {args.model} trains on {builder.data}, not sequences")
    if args.quantize is not None:
        if not args.export:
            raise UserError("--quantize chooses the variants of --export; add --export.")
        from kgen.commands.export import check_variants

        check_variants(args.quantize)
    if args.device and args.strategy in ("cpu", "gpu") and args.strategy != args.device:
        raise UserError(f"--device {args.device} contradicts --strategy {args.strategy}; pass one of them.")
    if args.device and args.strategy in ("multiworker", "tpu"):
        raise UserError(f"--device applies to --strategy auto, default or mirrored, not "
                        f"{args.strategy} (choose the devices with CUDA_VISIBLE_DEVICES / TPU_NAME).")
    return builder


def _check_source_kind(args, builder):
    from kgen import data as kdata

    if builder.data == "sequences" and Path(args.data).suffix.lower() == ".npz":
        return  # a sequence .npz; load_sequences reads it
    src, _ = kdata.resolve_source(args.data)
    if builder.data == "color_images" and src.kind == "images":
        return  # colour images are images read with 3 channels
    if builder.data == "text":
        if src.name not in _TEXT_SOURCES:
            _kind_mismatch(args, builder, src.kind)
        return
    if src.kind != builder.data:
        _kind_mismatch(args, builder, src.kind)


def _kind_mismatch(args, builder, kind):
    sources = _KIND_SOURCES.get(builder.data, "a source of that kind")
    raise UserError(f"model {args.model} trains on {builder.data}, but --data {args.data} holds "
                    f"{kind}; use --data {sources}, or a model for {kind} (see --list-models).")


def load_data(args, builder):
    """Read the data source the flags name (sequence models: `kgen.data.load_sequences`)."""
    from kgen import data as kdata

    if builder.data == "text":
        # Windows of T + 1 ids: the model reads the first T and predicts the last T.
        length = (args.seq_length or 64) + 1
        seqs = kdata.load_sequences(args.data, length=length, seed=args.seed,
                                    validation_split=0.1 if args.validation_split is None
                                    else args.validation_split, **source_options(args, args.data))
        info = {**seqs.info, "kind": "text", "value_range": None, "vocabulary": seqs.vocabulary}
        return Data(x=seqs.x, x_val=seqs.x_val, info=info)
    if _translation.is_translation(builder):
        return _translation.load_data(args, Data)
    if builder.data == "sequences":
        seqs = kdata.load_sequences(args.data, length=args.seq_length, seed=args.seed,
                                    validation_split=0.1 if args.validation_split is None
                                    else args.validation_split, **source_options(args, args.data))
        info = {**seqs.info, "value_range": None, "vocabulary": seqs.vocabulary}
        # The sequence autoencoder reads (T, F) features: ids arrive one-hot.
        return Data(x=seqs.x, x_val=seqs.x_val, info=info, one_hot=seqs.vocabulary_size)
    channels = 3 if builder.data == "color_images" and args.channels is None else args.channels
    arrays = kdata.load_arrays(args.data, image_size=args.image_size, scale=builder.scale,
                               labels=bool(builder.labels), channels=channels,
                               on_error=on_error(args), seed=args.seed,
                               **source_options(args, args.data))
    return masked_labels(args, builder, Data(x=arrays.x, y=arrays.y, num_classes=arrays.num_classes,
                                             class_names=arrays.class_names, info=arrays.info))


def _masks_labels(args):
    return getattr(args, "labels_per_class", None) is not None or getattr(args, "target", None) is not None


def masked_labels(args, builder, data):
    """--labels-per-class and --target: labels -1 mark unlabelled examples (`kgen.data.representation`)."""
    if not _masks_labels(args):
        return data
    from kgen import data as kdata
    from kgen.data import representation as rep

    if not builder.labels:
        raise UserError(f"--labels-per-class/--target mask the labels a model trains on; model {args.model} "
                        "takes none: train m2_vae or dann, or drop them.")
    if args.labels_per_class is not None:
        try:
            data.y = rep.mask_labels(data.y, args.labels_per_class, seed=args.seed)
        except kdata.DataError as err:
            raise UserError(f"--labels-per-class {args.labels_per_class}: {err}") from err
    if args.target is not None:
        size = tuple(int(v) for v in data.x.shape[1:3])
        target = kdata.load_arrays(args.target, image_size=size, scale=builder.scale, labels=False,
                                   seed=args.seed)
        if target.x.shape[1:] != data.x.shape[1:]:
            raise UserError(f"--target {args.target} holds examples of shape {target.x.shape[1:]}, --data "
                            f"{args.data} of {data.x.shape[1:]}; match them (e.g. --channels "
                            f"{target.x.shape[-1]}).")
        data.x, data.y = rep.adaptation_arrays(data.x, data.y, target.x, seed=args.seed)
    return data


def check_data(args, builder, data):
    """The data's kind must be the model's; labels must fit the classes."""
    kind = data.info.get("kind")
    if kind != builder.data and not (builder.data == "color_images" and kind == "images"):
        _kind_mismatch(args, builder, kind)
    if kind == "points":
        reject_flags(args, IMAGE_FLAGS, f"--data {args.data} holds 2-D points, not images")
    if builder.labels:
        top = int(data.y.max())
        if args.num_classes is not None:
            if top >= args.num_classes:
                raise UserError(f"--num-classes {args.num_classes}: --data {args.data} has label "
                                f"{top}; labels must lie in 0..{args.num_classes - 1}: raise "
                                "--num-classes or remap the labels.")
            data.num_classes = args.num_classes
        elif data.num_classes > MAX_INFERRED_CLASSES:
            raise UserError(f"--data {args.data} has label values up to {top}, i.e. {top + 1} "
                            f"classes, more than the {MAX_INFERRED_CLASSES} kgen infers; pass "
                            "--num-classes K if that many is right, else remap labels to 0..K-1.")
        if data.class_names is not None and len(data.class_names) != data.num_classes:
            data.class_names = None
    return data


def _set_precision(name):
    """Set the global dtype policy of --mixed-precision; returns the one to restore."""
    import keras

    previous = keras.mixed_precision.global_policy().name
    if name:
        keras.mixed_precision.set_global_policy(MIXED_PRECISION[name])
    return previous


def _restore_precision(previous):
    import keras

    keras.mixed_precision.set_global_policy(previous)


def resolve_strategy(name, device):
    """The `tf.distribute` strategy of --strategy and --device."""
    import tensorflow as tf

    from kgen import distribute

    devices = None
    if device == "gpu" and not tf.config.list_logical_devices("GPU"):
        raise UserError("--device gpu: TensorFlow sees no GPU on this machine; use --device cpu "
                        "(or install a CUDA build of TensorFlow).")
    if device and name in ("auto", "default"):
        many = len(tf.config.list_logical_devices("GPU")) > 1
        name = "mirrored" if device == "gpu" and many and name == "auto" else device
    if device and name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices(device.upper())]
    try:
        return distribute.get_strategy(name, devices=devices)
    except ValueError as err:
        raise UserError(f"--strategy {name}: {err}") from err


def strategy_name(strategy):
    """The public name (`--strategy` value) of a strategy object."""
    import tensorflow as tf

    from kgen import distribute

    if distribute.uses_multi_worker(strategy):
        return "multiworker"
    if isinstance(strategy, tf.distribute.OneDeviceStrategy):
        return "gpu" if "GPU" in strategy.extended.worker_devices[0].upper() else "cpu"
    if isinstance(strategy, tf.distribute.MirroredStrategy):
        return "mirrored"
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "tpu"
    return "default"


def build_model(args, builder, data):
    """Build the model under its strategy and apply the optimizer flags."""
    import keras

    from kgen import zoo

    keras.utils.set_random_seed(args.seed)
    strategy = resolve_strategy(args.strategy, args.device)
    params = inspect.signature(builder.fn).parameters
    kwargs = {"tiny": args.tiny, "seed": args.seed}
    if args.latent_dim:
        if "latent_dim" not in params:
            raise UserError(f"--latent-dim: model {args.model} sets its latent size otherwise "
                            f"(its builder takes {', '.join(p for p in params if p != 'kwargs')}); "
                            "drop --latent-dim.")
        kwargs["latent_dim"] = args.latent_dim
    if builder.labels:
        kwargs["num_classes"] = data.num_classes
    if builder.data == "text":
        kwargs["vocabulary"] = "".join(data.info["vocabulary"])
    if _translation.is_translation(builder):
        kwargs.update(_translation.builder_kwargs(args, builder, data, params))
    if args.jit:
        kwargs["jit_compile"] = True
    settings = model_settings(args.set)
    for key, value in settings.items():
        if key in kwargs or key in _SET_BY_FLAGS:
            flag = _SET_BY_FLAGS.get(key, "the data")
            raise UserError(f"--set {key}: set by {flag}, not --set; drop --set {key}={value}.")
    kwargs.update(settings)
    with strategy.scope():
        try:
            model = zoo.build(args.model, data.input_shape, **kwargs)
        except (TypeError, ValueError) as err:
            if settings and ("nrecognized keyword" in str(err) or "unexpected keyword" in str(err)):
                known = ", ".join(p for p in params if p not in ("input_shape", "kwargs", "model_kwargs"))
                raise UserError(f"--set: model {args.model} cannot take {sorted(settings)}: {err} (its "
                                f"builder takes {known}, and its model class's arguments).") from err
            if isinstance(err, TypeError):
                raise
            # builders check their arguments with ValueError
            raise UserError(f"model {args.model} cannot be built from these flags: {err}") from err
        apply_optimizer_flags(args, model)
    if args.ema is not None and getattr(model, "ema_network", None) is not None:
        raise UserError(f"--ema: model {args.model} keeps its own moving average of the denoiser "
                        f"(ema_decay={model.ema_decay}, with warm-up), used by sampling and export: drop --ema.")
    if args.ema is not None and getattr(model, "generator", None) is None:
        raise UserError(f"--ema averages a GAN's generator; model {args.model} has none: drop --ema.")
    return model, strategy


#: Builder arguments that have their own flag.
_SET_BY_FLAGS = {"tiny": "--tiny", "seed": "--seed", "latent_dim": "--latent-dim", "jit_compile": "--jit",
                 "num_classes": "the data's labels", "vocabulary": "the text data"}


def apply_optimizer_flags(args, model):
    """Set --lr/--d-lr/--g-lr/--beta1/--beta2 on the compiled model's optimizers."""
    from kgen.callbacks import optimizers_of

    opts = optimizers_of(model)
    gan = {"d_optimizer", "g_optimizer"} <= set(opts)
    if (args.d_lr or args.g_lr) and not gan:
        raise UserError(f"--d-lr/--g-lr set a GAN's two learning rates; model {args.model} has "
                        f"{', '.join(opts) or 'no optimizer'}: use --lr.")
    rates = {name: args.lr for name in opts} if args.lr else {}
    if args.d_lr:
        rates["d_optimizer"] = args.d_lr
    if args.g_lr:
        rates["g_optimizer"] = args.g_lr
    for name, rate in rates.items():
        inner = getattr(opts[name], "inner_optimizer", opts[name])
        try:
            inner.learning_rate = rate
        except TypeError as err:  # a LearningRateSchedule cannot be overwritten with a number
            raise UserError(f"--lr: model {args.model}'s {name} follows a learning-rate schedule "
                            f"({err}); drop the rate flags.") from err
    for flag, attr, value in (("--beta1", "beta_1", args.beta1), ("--beta2", "beta_2", args.beta2)):
        if value is None:
            continue
        for name, opt in opts.items():
            inner = getattr(opt, "inner_optimizer", opt)
            if not hasattr(inner, attr):
                raise UserError(f"{flag}: model {args.model}'s {name} is {type(inner).__name__}, "
                                f"which has no {attr}; {flag} applies to Adam-family optimizers.")
            setattr(inner, attr, float(value))


def make_datasets(args, model, strategy, data):
    """The training (and validation) `tf.data` pipelines and the steps per epoch."""
    from kgen import data as kdata

    d_steps = int(getattr(model, "d_steps", 1))
    replicas = strategy.num_replicas_in_sync
    if args.batch_size % replicas:
        raise UserError(f"--batch-size {args.batch_size} must be a multiple of the {replicas} "
                        "replicas, so each replica gets whole critic batches.")
    batch = d_steps * args.batch_size
    n = len(data.x)
    if batch > n:
        per = f" ({d_steps} critic steps x {args.batch_size})" if d_steps > 1 else ""
        raise UserError(f"--batch-size {args.batch_size}: one step reads {batch} examples{per}, but "
                        f"--data {args.data} has {n}; lower --batch-size.")
    repeat = args.steps_per_epoch is not None
    validation = None
    if data.info.get("kind") in ("sequences", "text"):
        dataset = kdata.sequence_dataset(data.x, data.one_hot, batch_size=batch, seed=args.seed,
                                         repeat=repeat)
        if data.x_val is not None and len(data.x_val):
            validation = kdata.sequence_dataset(data.x_val, data.one_hot, batch_size=batch,
                                                shuffle=False, drop_remainder=False)
    elif data.info.get("kind") in _translation.DEFAULT_DATA:
        dataset = _translation.make_dataset(args, batch, repeat, data)
    else:
        dataset = kdata.to_dataset(data.x, data.y, batch_size=batch, shuffle=True, seed=args.seed,
                                   repeat=repeat, allow_unlabelled=_masks_labels(args))
    return dataset, validation, args.steps_per_epoch or n // batch


def run_config(args, builder, data, model, strategy, steps):
    """What config.json records: the run's settings, derived sizes, and the flags to replay it."""
    flags = {k: v for k, v in vars(args).items() if k not in _NOT_RECORDED and not k.startswith("_")}
    return {
        "model": args.model, "data": args.data, "data_kind": builder.data,
        "input_shape": list(data.input_shape),
        "num_classes": data.num_classes if builder.labels else None,
        "class_names": data.class_names if builder.labels else None,
        "vocabulary": data.info.get("vocabulary"),
        "scale": builder.scale, "value_range": data.info.get("value_range"),
        "epochs": args.epochs, "batch_size": args.batch_size,
        "d_steps": int(getattr(model, "d_steps", 1)),
        "pipeline_batch_size": int(getattr(model, "d_steps", 1)) * args.batch_size,
        "steps_per_epoch": steps, "seed": args.seed,
        "latent_dim": getattr(model, "latent_dim", None),
        "strategy": strategy_name(strategy), "replicas": strategy.num_replicas_in_sync,
        "jit_compile": bool(args.jit), "mixed_precision": args.mixed_precision, "ema": args.ema,
        "flags": flags,
    }


def _data_label(spec):
    head, sep, rest = str(spec).partition(":")
    path = Path(rest if sep and head in ("text", "tfds") else spec)
    if sep and head == "tfds":
        return "tfds_" + rest.replace(":", "_")
    stem = path.stem if path.suffix else path.name
    return f"{head}_{stem}" if sep and head == "text" else stem


def _run_dir(args):
    from kgen import runs

    return runs.default_run_dir(args.model, _data_label(args.data)) if args.run_dir is None else args.run_dir


def prepare_run(args, run_dir, config):
    """Take the run directory (its lock), compare with a run already there, write config.json.

    The first write of the whole command: every check that can fail on the
    user's input has run by now. The same config resumes ("resuming from
    epoch N of M"), a finished run has nothing to do, a different config is
    refused naming what differs (see `kgen.runs.open_run`).

    Returns:
        The `kgen.runs.Run` (a context manager holding the lock).
    """
    from kgen import runs

    opened = runs.open_run(run_dir, config, resume=args.resume, overwrite=args.overwrite)
    for note in opened.notes:
        print(f"kgen: note: {note}", file=sys.stderr)
    print(f"kgen: {opened.message}")
    return opened


def fit(args, builder, model, run_dir, dataset, validation, steps, data):
    """Train with the run's callbacks; returns the history and the EMA callback (or None)."""

    from kgen import runs
    from kgen.callbacks import GeneratorEMA
    from kgen.errors import TrainingInterrupted
    from kgen.training import train

    value_range = tuple(data.info.get("value_range") or (-1.0, 1.0))
    samples = 64 if builder.data == "images" and args.sample_every else 0
    callbacks = runs.callbacks_for(run_dir, samples=samples, value_range=value_range,
                                   sample_every=max(args.sample_every, 1))
    if _translation.is_translation(builder):
        callbacks += _translation.callbacks(args, run_dir, data)
    ema = None
    if args.ema is not None:
        ema = GeneratorEMA(args.ema)
        callbacks.append(ema)
    per = f", {model.d_steps} critic steps of {args.batch_size}" if getattr(model, "d_steps", 1) > 1 else ""
    print(f"kgen: training {args.model} on {args.data} {data.input_shape} for {args.epochs} "
          f"epoch(s) of {steps} step(s){per} ({strategy_name(model.distribute_strategy)}, "
          f"{model.distribute_strategy.num_replicas_in_sync} replica(s)) -> {run_dir}")
    try:
        history = train(model, dataset, epochs=args.epochs, callbacks=callbacks,
                        steps_per_epoch=steps if args.steps_per_epoch else None,
                        verbose=args.verbose, validation_data=validation,
                        checkpoint_every=args.checkpoint_every, guard=not args.no_nan_guard)
    except TrainingInterrupted as stop:
        command = " ".join(shlex.quote(a) for a in ["kgen", *sys.argv[1:]])
        print(f"kgen: {stop}: {command}", file=sys.stderr)
        return None, stop.exit_code
    return history, ema


def finish(args, model, run_dir, history, ema, seconds):
    """Save the model (with the EMA generator under --ema), record the outcome, --export."""
    from kgen import runs

    run = Path(run_dir)
    if ema is not None:
        model.generator.save_weights(str(run / "generator_raw.weights.h5"))
        model.generator.set_weights(ema.ema_generator.get_weights())
    runs.save_model(model, run_dir)
    runs.write_config(run_dir, {
        "train_seconds": round(seconds, 1),
        "final_logs": {k: v[-1] for k, v in history.history.items() if v},
        "ema_weights": "model.keras generator (raw weights: generator_raw.weights.h5)" if ema else None,
    })
    print(f"\nkgen: run directory  {run_dir}")
    print(f"  model        {run / runs.MODEL}")
    if (run / "samples").is_dir():
        print(f"  samples      {run / 'samples'}")
    print(f"  history      {run / 'history.json'}")
    print(f"  tensorboard  tensorboard --logdir {run / 'logs'}")
    if args.export:
        from kgen import cli

        quantize = ["--quantize", args.quantize] if args.quantize else []
        return cli.main(["export", str(run_dir), *quantize, "--verbose", str(args.verbose)])
    return 0

