"""Boltzmann machines: restricted Boltzmann machines (CD-k, PCD; binary or Gaussian visible units),
deep belief networks, and annealed importance sampling of their partition functions."""

from kgen.models.boltzmann.ais import ais_log_partition, beta_schedule, log_mean_exp, reverse_ais_log_partition
from kgen.models.boltzmann.dbn import DBN, build_dbn
from kgen.models.boltzmann.rbm import RBM, build_rbm, enumerate_states

__all__ = ["DBN", "RBM", "build_dbn", "ais_log_partition", "beta_schedule", "build_rbm", "enumerate_states", "log_mean_exp",
           "reverse_ais_log_partition"]
