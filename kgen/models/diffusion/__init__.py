"""Denoising diffusion: DDPM (epsilon or v prediction, linear or cosine schedules, EMA) with DDPM and DDIM samplers."""

from kgen.models.diffusion import samplers, schedules
from kgen.models.diffusion.ddpm import DDPM, build_cddpm, build_ddpm
from kgen.models.diffusion.schedules import Schedule, spaced_timesteps

__all__ = ["DDPM", "Schedule", "build_cddpm", "build_ddpm", "samplers", "schedules", "spaced_timesteps"]
