"""Noise schedules of denoising diffusion: beta_t, alpha-bar, posterior q(x_{t-1} | x_t, x_0), respacing.

Everything here is float64 numpy, the closed forms of Ho et al. 2020
(https://arxiv.org/abs/2006.11239), Nichol & Dhariwal 2021
(https://arxiv.org/abs/2102.09672) and Lin et al. 2024
(https://arxiv.org/abs/2305.08891). Index `i = 0 .. T-1` is the papers'
`t = i + 1`: `alpha_bar[i] = prod_{j <= i} (1 - beta[j])`.

The forward process `q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)`
and its posterior `q(x_{t-1} | x_t, x_0) = N(c0 x_0 + ct x_t, beta_tilde_t I)` with
`c0 = beta_t sqrt(alpha_bar_{t-1}) / (1 - alpha_bar_t)`,
`ct = (1 - alpha_bar_{t-1}) sqrt(alpha_t) / (1 - alpha_bar_t)` and
`beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)`.

Example:
    >>> s = Schedule("cosine", 1000)
    >>> s.alpha_bar[-1] > 0, Schedule("cosine", 1000, terminal_snr="zero").alpha_bar[-1]
    (True, 0.0)
    >>> sub = s.respace(spaced_timesteps(1000, 50))   # a 50-step schedule on the same alpha-bar
"""

import math

import numpy as np

KINDS = ("linear", "cosine")
TERMINAL_SNR = ("clip", "zero")


def linear_betas(num_timesteps, beta_start=1e-4, beta_end=0.02):
    """Ho et al.'s linear schedule: `beta_t` evenly spaced from `beta_start` to `beta_end`."""
    return np.linspace(beta_start, beta_end, int(num_timesteps), dtype=np.float64)


def cosine_alpha_bar(num_timesteps, s=0.008):
    """Nichol & Dhariwal's `alpha_bar(t) = f(t) / f(0)`, `f(t) = cos^2((t/T + s) / (1 + s) * pi/2)`, t = 1..T."""
    t = np.arange(int(num_timesteps) + 1, dtype=np.float64) / int(num_timesteps)
    f = np.cos((t + s) / (1 + s) * math.pi / 2) ** 2
    return f[1:] / f[0]


def betas_from_alpha_bar(alpha_bar, max_beta=None):
    """`beta_t = 1 - alpha_bar_t / alpha_bar_{t-1}` (alpha_bar_0 = 1), optionally clipped to `max_beta`."""
    alpha_bar = np.asarray(alpha_bar, np.float64)
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    betas = 1.0 - alpha_bar / prev
    return np.minimum(betas, max_beta) if max_beta is not None else betas


def rescale_zero_terminal_snr(betas):
    """Lin et al. 2024, Algorithm 1: shift and scale sqrt(alpha_bar) so alpha_bar_T = 0, alpha_bar_1 unchanged.

    Common schedules end with a non-zero signal-to-noise ratio, so training
    never sees pure noise while sampling starts from it. The result has SNR 0
    at t = T; epsilon prediction is then undefined at T (x_0 cannot be read
    from pure noise), so use it with `prediction="v"`.
    """
    root = np.sqrt(np.cumprod(1.0 - np.asarray(betas, np.float64)))
    first, last = root[0], root[-1]
    root = (root - last) * first / (first - last)
    alpha_bar = root ** 2
    return betas_from_alpha_bar(alpha_bar)


class Schedule:
    """A discrete diffusion schedule and every coefficient the losses and samplers use.

    Args:
        kind: "linear" (Ho et al.) or "cosine" (Nichol & Dhariwal).
        num_timesteps: T.
        beta_start, beta_end: the linear schedule's end points.
        cosine_s: the cosine schedule's offset s.
        terminal_snr: "clip" (the papers' schedules: beta_T <= 0.999 for the
            cosine, so alpha_bar_T > 0 and the terminal SNR is small but not
            zero) or "zero" (Lin et al.'s rescaling to alpha_bar_T = 0).
        betas: explicit betas (a respaced schedule); overrides the rest.

    Attributes (float64 arrays of length T): `betas`, `alphas`, `alpha_bar`,
    `alpha_bar_prev`, `posterior_variance`, `posterior_log_variance`
    (clipped: index 0 takes index 1's value, as beta_tilde_1 = 0),
    `posterior_mean_coef_x0`, `posterior_mean_coef_xt`, `snr`.
    """

    def __init__(self, kind="linear", num_timesteps=1000, beta_start=1e-4, beta_end=0.02, cosine_s=0.008,
                 terminal_snr="clip", betas=None):
        if kind not in KINDS:
            raise ValueError(f"expected schedule kind in {KINDS}. Received: kind={kind!r}")
        if terminal_snr not in TERMINAL_SNR:
            raise ValueError(f"expected terminal_snr in {TERMINAL_SNR}. Received: terminal_snr={terminal_snr!r}")
        if int(num_timesteps) < 2:
            raise ValueError(f"expected num_timesteps >= 2. Received: num_timesteps={num_timesteps}")
        if not 0 < float(beta_start) < float(beta_end) < 1:
            raise ValueError(f"expected 0 < beta_start < beta_end < 1. Received: {beta_start}, {beta_end}")
        self.kind = kind
        self.num_timesteps = int(num_timesteps)
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.cosine_s = float(cosine_s)
        self.terminal_snr = terminal_snr
        if betas is None:
            if kind == "linear":
                betas = linear_betas(self.num_timesteps, beta_start, beta_end)
            else:
                betas = betas_from_alpha_bar(cosine_alpha_bar(self.num_timesteps, cosine_s), max_beta=0.999)
            if terminal_snr == "zero":
                betas = rescale_zero_terminal_snr(betas)
        self._set(np.asarray(betas, np.float64))

    def _set(self, betas):
        if betas.ndim != 1 or len(betas) < 1 or np.any(betas <= 0) or np.any(betas > 1):
            raise ValueError(f"expected betas in (0, 1]. Received: {betas}")
        self.betas = betas
        self.alphas = 1.0 - betas
        self.alpha_bar = np.cumprod(self.alphas)
        self.alpha_bar_prev = np.concatenate([[1.0], self.alpha_bar[:-1]])
        one_minus = 1.0 - self.alpha_bar
        self.posterior_variance = betas * (1.0 - self.alpha_bar_prev) / one_minus
        var = self.posterior_variance
        self.posterior_log_variance = np.log(np.concatenate([var[1:2], var[1:]]) if len(var) > 1 else var)
        self.posterior_mean_coef_x0 = betas * np.sqrt(self.alpha_bar_prev) / one_minus
        self.posterior_mean_coef_xt = (1.0 - self.alpha_bar_prev) * np.sqrt(self.alphas) / one_minus
        with np.errstate(divide="ignore"):
            self.snr = self.alpha_bar / one_minus
        self.timesteps = np.arange(len(betas))

    def __len__(self):
        return len(self.betas)

    # -- closed forms ---------------------------------------------------------------------
    def q_mean_std(self, t):
        """`(sqrt(alpha_bar_t), sqrt(1 - alpha_bar_t))`: q(x_t | x_0) = N(mean * x_0, std^2)."""
        return np.sqrt(self.alpha_bar[t]), np.sqrt(1.0 - self.alpha_bar[t])

    def posterior(self, x0, xt, t):
        """Mean and variance of q(x_{t-1} | x_t, x_0) at index t (numpy)."""
        mean = self.posterior_mean_coef_x0[t] * np.asarray(x0) + self.posterior_mean_coef_xt[t] * np.asarray(xt)
        return mean, self.posterior_variance[t]

    # -- respacing ------------------------------------------------------------------------
    def respace(self, timesteps):
        """The schedule on a subset of timesteps (Nichol & Dhariwal, section 4).

        `alpha_bar` is kept at the chosen steps and `beta_i = 1 - alpha_bar_{S_i} /
        alpha_bar_{S_{i-1}}`, so a respaced DDPM (or DDIM) walks the same
        marginals q(x_t | x_0) in fewer, larger steps.

        Args:
            timesteps: increasing original indices (e.g. `spaced_timesteps(T, 50)`).

        Returns:
            A `Schedule` of len(timesteps) steps; `.timesteps` holds the original
            indices (what the denoiser is conditioned on).
        """
        steps = np.asarray(timesteps, np.int64)
        if steps.ndim != 1 or len(steps) < 1 or np.any(np.diff(steps) <= 0) or steps[0] < 0 \
                or steps[-1] >= len(self):
            raise ValueError(f"expected increasing timesteps in [0, {len(self)}). Received: {timesteps}")
        out = Schedule.__new__(Schedule)
        out.kind, out.num_timesteps = self.kind, self.num_timesteps
        out.beta_start, out.beta_end, out.cosine_s = self.beta_start, self.beta_end, self.cosine_s
        out.terminal_snr = self.terminal_snr
        out._set(betas_from_alpha_bar(self.alpha_bar[steps]))
        out.timesteps = steps
        return out

    def get_config(self):
        return {"kind": self.kind, "num_timesteps": self.num_timesteps, "beta_start": self.beta_start,
                "beta_end": self.beta_end, "cosine_s": self.cosine_s, "terminal_snr": self.terminal_snr}

    def metadata(self):
        """The JSON record export bundles carry: the config and alpha_bar (float64 -> list)."""
        return {**self.get_config(), "alpha_bar": [float(v) for v in self.alpha_bar]}


#: The sampler's timestep spacings: how `steps` indices are picked from 0..T-1.
SPACINGS = ("uniform", "quadratic")


def spaced_timesteps(num_timesteps, steps, spacing="uniform"):
    """`steps` increasing original indices over [0, T-1], both ends included.

    "uniform" spaces them evenly (rounded; Nichol & Dhariwal's respacing).
    "quadratic" puts them at round((i / (steps - 1))^2 (T - 1)) (Song et al.
    2021, DDIM, section D.2, there for CIFAR10): denser at low noise, where
    few-step samplers lose most detail. Where rounding would repeat an index
    at the low end, the next free index is used, so there are always exactly
    `steps` of them (uniform rounding never repeats one).

    The last index T-1 is always in, so a sampler starts at the noise level
    training saw last; with steps == T it is every index.

    Args:
        num_timesteps: T of the training schedule.
        steps: how many indices, 1..T.
        spacing: one of `SPACINGS`.

    Returns:
        int64 array of `steps` increasing indices.

    Example:
        >>> spaced_timesteps(1000, 5, "quadratic").tolist()
        [0, 62, 250, 562, 999]
    """
    steps, num_timesteps = int(steps), int(num_timesteps)
    if spacing not in SPACINGS:
        raise ValueError(f"expected spacing in {SPACINGS}. Received: spacing={spacing!r}")
    if not 1 <= steps <= num_timesteps:
        raise ValueError(f"expected 1 <= steps <= {num_timesteps}. Received: steps={steps}")
    if steps == 1:
        return np.array([num_timesteps - 1])
    if spacing == "uniform":
        return np.unique(np.round(np.linspace(0, num_timesteps - 1, steps)).astype(np.int64))
    u = np.arange(steps) / (steps - 1)  # i / (steps - 1) then u * u: the Android class computes the same doubles
    out = np.round(u * u * (num_timesteps - 1)).astype(np.int64)
    for i in range(1, steps):  # the curve is flatter than one index per step near 0
        out[i] = max(out[i], out[i - 1] + 1)
    return out
