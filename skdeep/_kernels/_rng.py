"""A small counter-based random number generator usable inside numba kernels.

The state is a length-1 ``uint64`` array that the kernels advance in place, so a fit is
reproducible from its seed alone: no dependence on numba's global generator or on threads.
The generator is SplitMix64 (a Weyl sequence followed by a bijective mixing function).
"""

import numpy as np

from ._config import kernel

GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)


@kernel(inline=True)
def mix(counter):
    """SplitMix64 output for the (already advanced) ``counter`` value (uint64 -> uint64).

    Hot loops keep the counter in a local variable, advance it by ``GAMMA`` per draw and call
    this, so the state array is read and written once per loop rather than once per draw.
    """
    z = (counter ^ (counter >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@kernel(inline=True)
def next_u64(state):
    """Advance ``state`` and return the next 64-bit output.

    Parameters
    ----------
    state : ndarray of shape (1,), dtype uint64
        Generator state, advanced in place.

    Returns
    -------
    uint64
    """
    state[0] += GAMMA
    return mix(state[0])


@kernel(inline=True)
def shuffle_inplace(perm, state):
    """Fisher-Yates shuffle of the int64 array ``perm`` (shape (n,)) in place."""
    for i in range(perm.shape[0] - 1, 0, -1):
        j = np.int64(next_u64(state) % np.uint64(i + 1))
        tmp = perm[i]
        perm[i] = perm[j]
        perm[j] = tmp


def make_state(seed):
    """Return a fresh generator state (ndarray of shape (1,), uint64) from an integer seed."""
    return np.array([seed], dtype=np.uint64)
