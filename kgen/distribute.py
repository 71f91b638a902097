"""Distribution strategies: pick one by name, and the per-replica helpers models use."""

import json
import os

import tensorflow as tf

_NAMES = ("auto", "default", "cpu", "gpu", "mirrored", "multiworker", "tpu")
_STRATEGIES = {}


def get_strategy(name="auto", devices=None, tpu=None):
    """Resolve a strategy from a name.

    Args:
        name: "auto" (TPU if one is configured, multi-worker if `TF_CONFIG`
            names several tasks, mirrored over all GPUs if more than one,
            else the default strategy), "default"/"cpu"/"gpu" (one device),
            "mirrored", "multiworker" or "tpu"; or a `tf.distribute.Strategy`
            (returned as is).
        devices: device list for "mirrored" (e.g. `["/cpu:0", "/cpu:1"]`).
        tpu: TPU address for "tpu" (default: from the environment).

    Returns:
        A `tf.distribute.Strategy`. "mirrored" and "multiworker" return the
        same object for the same devices within a process: TensorFlow's
        collectives of two such strategies in one process collide (create
        your own `tf.distribute` strategies once per process for the same
        reason).

    Example:
        >>> strategy = get_strategy("auto")
        >>> with strategy.scope():
        ...     model = ...
    """
    if isinstance(name, tf.distribute.Strategy):
        return name
    if name not in _NAMES:
        raise ValueError(f"unknown strategy {name!r}. Expected one of {_NAMES}.")
    if name == "auto":
        if tpu or os.environ.get("TPU_NAME"):
            name = "tpu"
        elif _tf_config_tasks() > 1:
            name = "multiworker"
        elif len(tf.config.list_logical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "default"
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "cpu":
        return tf.distribute.OneDeviceStrategy("/cpu:0")
    if name == "gpu":
        if not tf.config.list_logical_devices("GPU"):
            raise ValueError("strategy 'gpu' asked for, but TensorFlow sees no GPU; use 'cpu' or 'auto'.")
        return tf.distribute.OneDeviceStrategy("/gpu:0")
    if name in ("mirrored", "multiworker"):
        # One strategy per configuration and process: the collectives of two
        # CollectiveAllReduce strategies in one process reuse instance keys and
        # abort ("Shape mismatch in the collective instance ...",
        # tensorflow/tensorflow#62790), so a second model reuses the first one's.
        key = (name, tuple(devices or ()))
        if key not in _STRATEGIES:
            # TensorFlow's default all-reduce (CollectiveAllReduce on CPUs, NCCL
            # on GPUs); kgen orders the collectives of several updates in one
            # step (kgen.models.core.update).
            _STRATEGIES[key] = (tf.distribute.MirroredStrategy(devices) if name == "mirrored"
                                else tf.distribute.MultiWorkerMirroredStrategy())
        return _STRATEGIES[key]
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _tf_config_tasks():
    try:
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not valid JSON: {err}") from err
    return sum(len(v) for v in cluster.values())


def num_replicas():
    """Number of replicas the current step runs on (1 outside a strategy)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context
        return tf.distribute.get_strategy().num_replicas_in_sync
    return ctx.num_replicas_in_sync


def replica_id():
    """Index of the current replica as an int32 tensor (0 outside a strategy)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return tf.constant(0, tf.int32)
    rid = ctx.replica_id_in_sync_group
    return tf.cast(rid, tf.int32)


def draw_for_replica(sampler, n, event_shape):
    """Draw this replica's `n` values of a global-batch draw.

    Under a strategy each replica draws the global batch `n * replicas`
    with the same (mirrored) seed state and keeps its own slice: replicas
    get distinct noise, and N replicas see exactly the noise one device
    would see for the same global batch.

    Args:
        sampler: `shape -> tensor`, e.g. `lambda s: keras.random.normal(s, seed=gen)`.
        n: values this replica needs (int or scalar tensor).
        event_shape: shape of one value.

    Returns:
        A tensor `(n, *event_shape)`.

    Example:
        >>> eps = draw_for_replica(lambda s: keras.random.normal(s, seed=gen), 32, (16,))
    """
    event_shape = tuple(event_shape)
    replicas = num_replicas()
    if replicas == 1:
        return sampler((n, *event_shape))
    full = sampler((n * replicas, *event_shape))
    start = replica_id() * n
    return tf.slice(full, [start] + [0] * len(event_shape), [n, *event_shape])


def scale_loss(loss):
    """Turn a local-batch mean into this replica's share of the global-batch mean.

    Optimizers sum gradients over replicas, so each replica contributes
    `mean / num_replicas`: with equal local batches the sum is exactly the
    gradient of the global-batch mean.
    """
    n = num_replicas()
    return loss if n == 1 else loss / n


def uses_multi_worker(strategy):
    """Whether Keras' `model.fit` cannot drive this strategy (keras-team/keras#20585)."""
    return isinstance(
        strategy,
        (tf.distribute.MultiWorkerMirroredStrategy, tf.distribute.experimental.MultiWorkerMirroredStrategy),
    )
