"""The model contract shared by every family: base class, update routine, single-objective steps."""

from kgen.models.core.base import Endpoint, GenerativeModel, TensorSpec
from kgen.models.core.replica import cross_replica_mean, cross_replica_sum
from kgen.models.core.single_objective import (
    EncoderDecoderConfig,
    SingleObjectiveSteps,
    from_config_with_networks,
)

__all__ = ["Endpoint", "EncoderDecoderConfig", "GenerativeModel", "SingleObjectiveSteps", "TensorSpec",
           "cross_replica_mean", "cross_replica_sum", "from_config_with_networks"]
