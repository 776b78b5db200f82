"""Every numba kernel against its plain-NumPy reference in ``naive.py``, in float32 and float64.

float32 kernels are compared with a float64 reference computed from the same float32 inputs, with
a relative tolerance of 1e-5 (1e-10 for float64). Entries that suffer cancellation (gradients
that are mathematically ~0, for example) are judged against the largest entry of the array they
belong to: the absolute tolerance is ``rtol * max |expected|``.
"""

import inspect
import itertools
import warnings

import numba
import numpy as np
import pytest
import scipy.sparse as sp

from skdeep import RegularizedMLPClassifier, _network
from skdeep._inference import PREDICT_BLOCK, network_outputs
from skdeep._kernels import _backward, _epoch, _forward, _losses, _optimizers, _rng
from skdeep._network import ACTIVATION_CODES as ACT_CODE
from skdeep._network import LOSS_CODES as LOSS_CODE
from skdeep._network import SOLVER_CODES as SOLVER_CODE
from skdeep._network import NetworkLayout

from . import naive

DTYPES = [np.float32, np.float64]
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}
N_OUTPUTS = {
    "squared_error": 2, "softmax_cross_entropy": 3, "sigmoid_cross_entropy": 2, "poisson": 2,
    "absolute_error": 2, "huber": 2, "quantile": 3,
}  # fmt: skip
# The losses' parameters here: a Huber threshold inside the residuals' range, and a quantile
# level per output.
LOSS_PARAMETERS = {"huber": [0.7], "quantile": [0.1, 0.5, 0.85]}
# Losses whose kernel branch is a few lines of the output layer's: checked on fewer networks.
OUTPUT_ONLY_LOSSES = ("absolute_error", "huber", "quantile")


def kernel_loss(kind):
    """The loss ``kind`` as the kernels take it: its code and parameters."""
    return LOSS_CODE[kind], np.asarray(LOSS_PARAMETERS.get(kind, []), dtype=np.float64)


def naive_loss(kind):
    """The loss ``kind`` as the reference takes it."""
    return (kind, LOSS_PARAMETERS[kind]) if kind in LOSS_PARAMETERS else kind


HYPER = dict(momentum=0.9, nesterov=False, beta_1=0.9, beta_2=0.999, epsilon=1e-8, rho=0.9)
SOLVER_VARIANTS = {
    "sgd": dict(solver="sgd", momentum=0.0),
    "sgd_momentum": dict(solver="sgd", momentum=0.9),
    "sgd_nesterov": dict(solver="sgd", momentum=0.9, nesterov=True),
    "adagrad": dict(solver="adagrad"),
    "rmsprop": dict(solver="rmsprop", rho=0.8),
    "adam": dict(solver="adam", beta_1=0.8, beta_2=0.95),
}
PENALTIES = {
    "none": dict(l2=0.0, l1=0.0, weight_decay=0.0),
    "l2": dict(l2=0.4, l1=0.0, weight_decay=0.0),
    "l1": dict(l2=0.0, l1=0.05, weight_decay=0.0),
    "elasticnet": dict(l2=0.3, l1=0.03, weight_decay=0.0),
    "weight_decay": dict(l2=0.0, l1=0.0, weight_decay=0.2),
}
ARCHS = {"0_hidden": (), "1_hidden": (6,), "2_hidden": (5, 4)}


def assert_close(actual, expected, dtype, err_msg=""):
    """Compare with the dtype's rtol; absolute slack ``rtol * max |expected|`` (see module doc)."""
    rtol = RTOL[np.dtype(dtype)]
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape, err_msg
    scale = np.max(np.abs(expected), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=err_msg)


PARTS = {
    "plain": (),
    "input_block": ("embeddings", "scaling", "categories"),
    "mix": ("mix",),
    "all": ("embeddings", "scaling", "mix", "categories"),
    "all_values": ("embeddings", "scaling", "mix"),
    "members": ("members", "embeddings", "scaling", "mix", "categories"),
    "members_mini": ("members_mini", "embeddings", "scaling", "mix", "categories"),
}
# Levels of the two categorical features of a network with the "categories" part.
CATEGORY_LEVELS = (3, 4)


def make_network(
    n_features, hidden, n_outputs, batch_norm, dtype, seed, lr_factors=None, parts=()
):
    """Layout, parameters, running statistics and optimizer vectors of a random network.

    ``parts`` adds numeric embeddings (2 frequencies mapped to 2 values per feature, for all
    value features but the first), a scaling layer, parametric activations and learned
    vectors (2 values) of two categorical features, the last two columns (see
    :func:`with_codes`), and three members of a shared-weight ensemble (``"members"``, or
    ``"members_mini"`` with adapters at the ends only). Biases, batch-norm scales and shifts,
    embedding parameters, input scales and activation mixes are drawn at random (``initialize``
    sets several of them to 0 or 1), and so are the running statistics, so that no part of a
    kernel works on trivial values. ``groups`` is ``(lr_scale, penalty_mask, decay_scale)`` of
    the layout's parameter groups; ``net`` has the ``table`` and ``inputs`` the kernels read.
    """
    levels = CATEGORY_LEVELS if "categories" in parts else ()
    n_values = n_features - len(levels)
    net = NetworkLayout(
        [n_features, *hidden, n_outputs],
        batch_norm,
        n_frequencies=2 if "embeddings" in parts else 0,
        embedding_dim=2,
        # Every value feature but the first, in another order than the columns'.
        embedded_features=list(range(n_values - 1, 0, -1)),
        scaling_layer="scaling" in parts,
        parametric_activation="mix" in parts,
        category_levels=levels,
        category_dim=2,
        n_members=3 if any(p.startswith("members") for p in parts) else 1,
        member_adapters="mini" if "members_mini" in parts else "all",
    )
    rs = np.random.RandomState(seed)
    theta, bn_state = net.initialize("glorot_uniform", "tanh", np.float64, rs)
    groups = net.optimizer_vectors(dtype, lr_factors)
    mask = groups[1]
    theta[mask == 0] += rs.normal(0.0, 0.3, int((mask == 0).sum()))
    for row in net.table:
        if row[_network.MEAN_OFF] >= 0:
            fo = row[_network.FAN_OUT]
            bn_state[row[_network.MEAN_OFF] : row[_network.MEAN_OFF] + fo] = rs.normal(0, 0.5, fo)
            bn_state[row[_network.VAR_OFF] : row[_network.VAR_OFF] + fo] = rs.uniform(0.3, 2.0, fo)
    return net, theta.astype(dtype), bn_state.astype(dtype), groups


def make_data(n, n_features, loss_kind, dtype, seed):
    """Inputs, targets suited to ``loss_kind`` and non-uniform sample weights."""
    rs = np.random.RandomState(seed)
    k = N_OUTPUTS[loss_kind]
    X = rs.normal(0.0, 1.0, (n, n_features))
    if loss_kind in ("squared_error", *OUTPUT_ONLY_LOSSES):
        Y = rs.normal(0.0, 1.0, (n, k))
    elif loss_kind == "softmax_cross_entropy":
        Y = np.eye(k)[rs.randint(0, k, n)]
    elif loss_kind == "poisson":
        Y = rs.poisson(1.5, (n, k)).astype(np.float64)
    else:
        Y = (rs.uniform(size=(n, k)) < 0.5).astype(np.float64)
    sw = rs.uniform(0.5, 2.0, n)
    return X.astype(dtype), Y.astype(dtype), sw.astype(dtype)


def with_codes(X, net):
    """``X`` with valid categorical codes (as floats) in the columns ``net`` reads as codes:
    every level of each feature, in a shuffled order."""
    X = X.copy()
    n_cat = len(net.category_levels)
    rs = np.random.RandomState(X.shape[0])
    for c, levels in enumerate(net.category_levels):
        X[:, X.shape[1] - n_cat + c] = rs.permutation(np.arange(X.shape[0]) % levels)
    return X


def dropout_rates(n_layers, on):
    """Input rate 0.2 and hidden rates 0.3, 0.25, ... when ``on``; zeros otherwise."""
    rates = [0.2] + [0.3 - 0.05 * i for i in range(n_layers - 1)] if on else [0.0] * n_layers
    return np.array(rates, dtype=np.float64)


def network_cases(with_loss=True):
    """(arch, activation[, loss]) combinations; activations only matter with hidden layers."""
    cases = []
    for arch, act in itertools.product(ARCHS, naive.ACTIVATIONS):
        if arch == "0_hidden" and act != "identity":
            continue
        if with_loss:
            some = arch != "0_hidden" and act == "tanh"
            cases += [
                (arch, act, kind)
                for kind in naive.LOSSES
                if some or kind not in OUTPUT_ONLY_LOSSES
            ]
        else:
            cases.append((arch, act))
    return cases


# --------------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------------


def test_rng_matches_published_splitmix64_outputs():
    # First outputs of the reference splitmix64.c for seed 1234567 (Rosetta Code,
    # "Pseudo-random numbers/Splitmix64"); they also validate the NumPy reimplementation.
    expected = [
        6457827717110365317,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ]
    state = _rng.make_state(1234567)
    assert state.dtype == np.uint64 and state.shape == (1,)
    assert [int(_rng.next_u64(state)) for _ in range(5)] == expected
    assert naive.SplitMix64(1234567).next_u64(5).tolist() == expected


@pytest.mark.parametrize("seed", [0, 42, 2**64 - 1])
def test_rng_reproducible_from_seed(seed):
    a, b = _rng.make_state(seed), _rng.make_state(seed)
    draws_a = [int(_rng.next_u64(a)) for _ in range(200)]
    draws_b = [int(_rng.next_u64(b)) for _ in range(200)]
    assert draws_a == draws_b
    assert len(set(draws_a)) == 200
    ref = naive.SplitMix64(seed)
    assert draws_a == ref.next_u64(200).tolist()
    np.testing.assert_array_equal(a, ref.state_array())
    # A different seed gives a different stream.
    other = _rng.make_state((seed + 1) % 2**64)
    assert int(_rng.next_u64(other)) != draws_a[0]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 257])
def test_shuffle_inplace_is_the_reference_permutation(n):
    perm = np.arange(n, dtype=np.int64)
    state = _rng.make_state(11)
    _rng.shuffle_inplace(perm, state)
    np.testing.assert_array_equal(np.sort(perm), np.arange(n))
    ref_rng = naive.SplitMix64(11)
    np.testing.assert_array_equal(perm, naive.shuffle(n, ref_rng))
    # One draw per swap position: n - 1 draws.
    np.testing.assert_array_equal(state, ref_rng.state_array())
    if n >= 10:
        assert not np.array_equal(perm, np.arange(n))


def test_shuffle_inplace_uses_every_position():
    # Over many shuffles each element lands in each position about equally often.
    n, trials = 5, 4000
    counts = np.zeros((n, n))
    state = _rng.make_state(3)
    for _ in range(trials):
        perm = np.arange(n, dtype=np.int64)
        _rng.shuffle_inplace(perm, state)
        counts[perm, np.arange(n)] += 1
    expected = trials / n
    assert np.all(np.abs(counts - expected) < 6 * np.sqrt(expected))


# --------------------------------------------------------------------------------------------
# Forward building blocks
# --------------------------------------------------------------------------------------------


def _activation_inputs(dtype):
    rs = np.random.RandomState(0)
    special = [0.0, -0.0, 1e-3, -1e-3, 0.5, -0.5, 30.0, -30.0, 100.0, -100.0, 700.0, -700.0]
    z = np.concatenate([rs.normal(0.0, 3.0, 36), special])
    return z.reshape(8, 6).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", naive.ACTIVATIONS)
def test_activate(name, dtype):
    Z0 = _activation_inputs(dtype)
    Z = Z0.copy()
    deriv = np.full_like(Z, np.nan)
    _forward.activate(Z, deriv, ACT_CODE[name])
    ref_a, ref_d = naive.activation(Z0, name)
    assert Z.dtype == dtype and deriv.dtype == dtype
    assert_close(Z, ref_a, dtype, f"{name} values")
    assert_close(deriv, ref_d, dtype, f"{name} derivative")
    Z_inf = Z0.copy()
    _forward.activate_inference(Z_inf, np.empty(0, dtype), ACT_CODE[name])
    assert_close(Z_inf, ref_a, dtype, f"{name} inference values")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", naive.ACTIVATIONS)
def test_activate_mixed(name, dtype):
    Z0 = _activation_inputs(dtype)
    mix = np.random.RandomState(1).uniform(-0.5, 1.5, Z0.shape[1]).astype(dtype)
    Z = Z0.copy()
    deriv, gap = np.full_like(Z, np.nan), np.full_like(Z, np.nan)
    _forward.activate_mixed(Z, deriv, gap, mix, ACT_CODE[name])
    ref_a, ref_dz, ref_dmix = naive.mixed_activation(Z0, mix, name)
    assert_close(Z, ref_a, dtype, f"{name} values")
    assert_close(deriv, ref_dz, dtype, f"{name} derivative in z")
    assert_close(gap, ref_dmix, dtype, f"{name} derivative in the mix")
    Z_inf = Z0.copy()
    _forward.activate_inference(Z_inf, mix, ACT_CODE[name])
    assert_close(Z_inf, ref_a, dtype, f"{name} inference values")
    # A mix of 1 is the plain activation, a mix of 0 the identity.
    ones = Z0.copy()
    _forward.activate_inference(ones, np.ones(Z0.shape[1], dtype), ACT_CODE[name])
    assert_close(ones, naive.activation(Z0, name)[0], dtype)
    zeros = Z0.copy()
    _forward.activate_inference(zeros, np.zeros(Z0.shape[1], dtype), ACT_CODE[name])
    np.testing.assert_array_equal(zeros, Z0)


def test_activation_codes():
    assert ACT_CODE["sigmoid"] == ACT_CODE["logistic"]
    assert sorted(set(ACT_CODE.values())) == list(range(10))
    assert set(naive.ACTIVATIONS) == set(ACT_CODE) - {"sigmoid"}


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_forward(dtype):
    rs = np.random.RandomState(1)
    A = rs.normal(size=(7, 5)).astype(dtype)
    W = rs.normal(size=(5, 3)).astype(dtype)
    b = rs.normal(size=3).astype(dtype)
    Z = np.dot(A, W)
    _forward.add_bias(Z, b)
    assert_close(Z, naive.dense(A, W, b), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("update", [True, False])
def test_batch_norm_train(dtype, update):
    rs = np.random.RandomState(2)
    # Columns on different scales and offsets, and one constant column (zero variance).
    Z0 = rs.normal(size=(9, 5)) * [1.0, 10.0, 0.1, 3.0, 0.0] + [0.0, 5.0, -2.0, 100.0, 0.7]
    Z0 = Z0.astype(dtype)
    gamma = rs.uniform(0.5, 1.5, 5).astype(dtype)
    beta = rs.normal(size=5).astype(dtype)
    rmean0 = rs.normal(size=5).astype(dtype)
    rvar0 = rs.uniform(0.5, 2.0, 5).astype(dtype)
    Z, rmean, rvar = Z0.copy(), rmean0.copy(), rvar0.copy()
    xhat = np.full_like(Z, np.nan)
    inv_std = np.full(5, np.nan, dtype=dtype)
    _forward.batch_norm_train(Z, gamma, beta, xhat, inv_std, rmean, rvar, 0.8, update)
    out, ref_xhat, ref_inv_std, ref_mean, ref_var = naive.batch_norm_train(
        Z0, gamma, beta, rmean0, rvar0, 0.8
    )
    assert_close(Z, out, dtype, "output")
    assert_close(xhat, ref_xhat, dtype, "xhat")
    assert_close(inv_std, ref_inv_std, dtype, "inv_std")
    if update:
        assert_close(rmean, ref_mean, dtype, "running mean")
        assert_close(rvar, ref_var, dtype, "running var")
    else:
        np.testing.assert_array_equal(rmean, rmean0)
        np.testing.assert_array_equal(rvar, rvar0)
    # The normalized batch has mean 0 and (biased) variance var / (var + eps) per column.
    np.testing.assert_allclose(xhat[:, :4].mean(axis=0), 0.0, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_inference(dtype):
    rs = np.random.RandomState(3)
    Z0 = (rs.normal(size=(11, 4)) * 2.0 + 1.0).astype(dtype)
    gamma, beta, mean = (rs.normal(size=4).astype(dtype) for _ in range(3))
    var = rs.uniform(0.0, 3.0, 4).astype(dtype)
    var[0] = 0.0  # eps keeps this finite
    Z = Z0.copy()
    _forward.batch_norm_inference(Z, gamma, beta, mean, var)
    assert_close(Z, naive.batch_norm_inference(Z0, gamma, beta, mean, var), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.75])
@pytest.mark.parametrize("with_deriv, with_gap", [(True, True), (True, False), (False, False)])
def test_dropout(dtype, rate, with_deriv, with_gap):
    rs = np.random.RandomState(4)
    A0 = rs.normal(size=(13, 7)).astype(dtype)
    D0 = rs.uniform(0.1, 1.0, (13, 7)).astype(dtype) if with_deriv else np.empty((0, 0), dtype)
    G0 = rs.normal(size=(13, 7)).astype(dtype) if with_gap else np.empty((0, 0), dtype)
    A, D, G = A0.copy(), D0.copy(), G0.copy()
    state = _rng.make_state(123)
    _forward.dropout(A, D, G, rate, state)
    ref_rng = naive.SplitMix64(123)
    mask = naive.dropout_mask(A0.shape, rate, ref_rng)
    assert_close(A, A0 * mask, dtype, "activations")
    if with_deriv:
        assert_close(D, D0 * mask, dtype, "derivative")
    else:
        assert D.shape == (0, 0)
    if with_gap:
        assert_close(G, G0 * mask, dtype, "gap")
    np.testing.assert_array_equal(state, ref_rng.state_array())
    # Dropped units are exact zeros.
    assert np.all((A == 0) == (mask == 0))
    if rate == 0.0:
        np.testing.assert_array_equal(A, A0)


def test_dropout_keep_fraction():
    A = np.ones((200, 50))
    _forward.dropout(A, np.empty((0, 0)), np.empty((0, 0)), 0.4, _rng.make_state(5))
    kept = A != 0
    n = A.size
    assert abs(kept.mean() - 0.6) < 4 * np.sqrt(0.6 * 0.4 / n)
    np.testing.assert_allclose(A[kept], 1 / 0.6, rtol=1e-15)
    # Inverted dropout keeps the expected activation unchanged.
    assert abs(A.mean() - 1.0) < 0.05


def _embedding_problem(dtype, n=9, f=4, k=4, d=2, seed=14):
    """Rows of 4 features of which columns 3 and 1 (in that order) are embedded."""
    rs = np.random.RandomState(seed)
    X = rs.normal(0.0, 1.5, (n, f)).astype(dtype)
    columns = np.array([3, 1], dtype=np.int64)
    e = len(columns)
    freq = rs.normal(0.0, 0.5, (e, k)).astype(dtype)
    phase = rs.uniform(-np.pi, np.pi, (e, k)).astype(dtype)
    coefs = rs.normal(0.0, 0.5, (e, k, d)).astype(dtype)
    intercepts = rs.normal(0.0, 0.5, (e, d)).astype(dtype)
    return X, columns, freq, phase, coefs, intercepts


@numba.njit
def _sincos_many(t):
    s, c = np.empty_like(t), np.empty_like(t)
    for i in range(t.shape[0]):
        s[i], c[i] = _forward.sincos(t[i])
    return s, c


def test_sincos_matches_numpy():
    rs = np.random.RandomState(16)
    # Angles of every size up to 1e6, multiples of pi / 4 (the quadrants' edges), and zeros.
    t = np.concatenate([
        rs.uniform(-1.0, 1.0, 50_000) * 10.0 ** rs.uniform(-8, 6, 50_000),
        np.arange(-400, 401) * np.pi / 4, [0.0, -0.0, np.pi / 4 * (1 + 1e-16)],
    ])  # fmt: skip
    s, c = _sincos_many(t)
    # One unit in the last place near 1 (2.2e-16), as the docstring says.
    assert np.abs(s - np.sin(t)).max() <= 2.3e-16
    assert np.abs(c - np.cos(t)).max() <= 2.3e-16
    assert s[-3] == 0.0 and c[-3] == 1.0
    # (With NUMBA_DISABLE_JIT, numpy warns about inf - inf on the way.)
    with np.errstate(invalid="ignore"):
        s, c = _sincos_many(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(s).all() and np.isnan(c).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keep", [True, False], ids=["training", "inference"])
def test_embed(dtype, keep):
    X, columns, freq, phase, coefs, intercepts = _embedding_problem(dtype)
    n, f = X.shape
    e, k, d = coefs.shape
    out = np.full((n, f + e * d), np.nan, dtype)
    shape = (n, e, k) if keep else (0, 0, 0)
    cosines, sines = np.full(shape, np.nan, dtype), np.full(shape, np.nan, dtype)
    _forward.embed(X, f, columns, freq, phase, coefs, intercepts, out, cosines, sines)
    assert_close(out, naive.embed(X, columns, freq, phase, coefs, intercepts), dtype)
    # The raw values pass through unchanged, first.
    np.testing.assert_array_equal(out[:, :f], X)
    if keep:
        angles = 2 * np.pi * X.astype(float)[:, columns, None] * freq + phase
        assert_close(cosines, np.cos(angles), dtype, "saved cosines")
        assert_close(sines, np.sin(angles), dtype, "saved sines")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embed_backward(dtype):
    X, columns, freq, phase, coefs, intercepts = _embedding_problem(dtype)
    n, f = X.shape
    e, k, d = coefs.shape
    cosines, sines = np.empty((n, e, k), dtype), np.empty((n, e, k), dtype)
    _forward.embed(X, f, columns, freq, phase, coefs, intercepts,
                   np.empty((n, f + e * d), dtype), cosines, sines)  # fmt: skip
    d_out = np.random.RandomState(15).normal(size=(n, f + e * d)).astype(dtype)
    grads = [np.full(a.shape, np.nan, dtype) for a in (freq, phase, coefs, intercepts)]
    _backward.embed_backward(d_out, X, f, columns, freq, coefs, cosines, sines, *grads)
    refs = naive.embed_backward(d_out, X, columns, freq, phase, coefs)
    for name, g, ref in zip(("frequencies", "phases", "coefs", "intercepts"), grads, refs,
                            strict=True):  # fmt: skip
        assert_close(g, ref, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_scale_columns_and_column_dot(dtype):
    rs = np.random.RandomState(16)
    A = rs.normal(size=(6, 4)).astype(dtype)
    B = rs.normal(size=(6, 4)).astype(dtype)
    factors = rs.normal(size=4).astype(dtype)
    out = np.full_like(A, np.nan)
    _forward.scale_columns(A, factors, out)
    assert_close(out, A.astype(float) * factors, dtype)
    dots = np.full(4, np.nan, dtype)
    _backward.column_dot(A, B, dots)
    assert_close(dots, (A.astype(float) * B).sum(axis=0), dtype)


# --------------------------------------------------------------------------------------------
# Losses and penalties
# --------------------------------------------------------------------------------------------

LOSS_CASES = {
    "squared_error": ("squared_error", 3, "real"),
    "softmax_onehot": ("softmax_cross_entropy", 3, "onehot"),
    "softmax_soft_targets": ("softmax_cross_entropy", 4, "soft"),
    "sigmoid_multilabel": ("sigmoid_cross_entropy", 3, "indicator"),
    "sigmoid_binary": ("sigmoid_cross_entropy", 1, "indicator"),
    "poisson": ("poisson", 2, "counts"),
    "absolute_error": ("absolute_error", 3, "real"),
    "huber": ("huber", 3, "real"),
    "quantile_per_output": ("quantile", 3, "real"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LOSS_CASES)
def test_loss_and_delta(case, dtype):
    kind, k, targets = LOSS_CASES[case]
    rs = np.random.RandomState(6)
    n = 11
    Z0 = rs.normal(0.0, 2.0, (n, k))
    Z0[0] *= 40.0  # large logits: the stable formulations must not overflow
    if targets == "counts":
        Z0[0] /= 10.0  # exp(z) itself overflows float32 beyond z = 88
    if targets == "real":
        Y = rs.normal(size=(n, k))
    elif targets == "onehot":
        Y = np.eye(k)[rs.randint(0, k, n)]
    elif targets == "soft":
        # Rows need not sum to 1: the documented loss -sum_k y_k log softmax_k is defined for
        # any targets, and its gradient is softmax * sum_k y_k - y.
        Y = rs.dirichlet(np.ones(k), n) * rs.uniform(0.5, 2.0, (n, 1))
    elif targets == "counts":
        Y = rs.poisson(2.0, (n, k)).astype(float)  # zeros included (0 log 0 = 0)
    else:
        Y = (rs.uniform(size=(n, k)) < 0.5).astype(float)
    if kind in OUTPUT_ONLY_LOSSES:
        Z0[1, 0] = Y[1, 0]  # on the kink (the absolute error's, the pinball loss's)
    sw = rs.uniform(0.2, 3.0, n)
    Z0, Y, sw = Z0.astype(dtype), Y.astype(dtype), sw.astype(dtype)
    sw_sum = float(sw.astype(np.float64).sum())
    Z = Z0.copy()
    value = _losses.loss_and_delta(Z, Y, sw, sw_sum, kernel_loss(kind))
    ref_value, ref_dZ = naive.loss(Z0, Y, sw, sw_sum, naive_loss(kind))
    assert np.isfinite(value)
    assert_close(value, ref_value, dtype, "loss")
    assert_close(Z, ref_dZ, dtype, "gradient")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_penalty_and_grad(penalty, dtype):
    rs = np.random.RandomState(7)
    net = NetworkLayout([4, 3, 2], True)
    n_params = net.n_params
    mask = net.optimizer_vectors(np.float64)[1]
    theta = rs.normal(size=n_params)
    theta[[0, 5, n_params - 1]] = 0.0  # the subgradient at 0 is 0
    theta = theta.astype(dtype)
    grad0 = rs.normal(size=n_params).astype(dtype)
    grad = grad0.copy()
    l2, l1 = PENALTIES[penalty]["l2"], PENALTIES[penalty]["l1"]
    value = _losses.penalty_and_grad(theta, grad, mask, l2, l1)
    ref_value, ref_grad = naive.penalty(theta, mask, l2, l1)
    assert ref_value > 0
    assert_close(value, ref_value, dtype, "value")
    # The kernel adds its gradient to ``grad``.
    assert_close(grad, grad0.astype(np.float64) + ref_grad, dtype, "gradient")
    np.testing.assert_array_equal(grad[mask == 0], grad0[mask == 0])


# --------------------------------------------------------------------------------------------
# Backward building blocks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_backward(dtype):
    rs = np.random.RandomState(8)
    A_prev = rs.normal(size=(6, 5)).astype(dtype)
    dZ = rs.normal(size=(6, 3)).astype(dtype)
    W = rs.normal(size=(5, 3)).astype(dtype)
    gW = np.full((5, 3), np.nan, dtype=dtype)
    gb = np.full(3, np.nan, dtype=dtype)
    _backward.dense_backward(A_prev, dZ, gW, gb)
    ref_gW, ref_gb, _ = naive.dense_backward(A_prev, dZ, W)
    assert_close(gW, ref_gW, dtype, "gW")
    assert_close(gb, ref_gb, dtype, "gb")


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_norm_backward(dtype):
    rs = np.random.RandomState(9)
    Z = (rs.normal(size=(8, 4)) * [1.0, 4.0, 0.2, 1.0] + [0.0, 3.0, -1.0, 10.0]).astype(dtype)
    gamma = rs.uniform(0.5, 1.5, 4).astype(dtype)
    dS0 = rs.normal(size=(8, 4)).astype(dtype)
    # The kernel consumes what the forward pass saved; take it from the reference forward.
    _, xhat, inv_std, _, _ = naive.batch_norm_train(Z, gamma, 0.0 * gamma, gamma, gamma, 0.5)
    dS = dS0.copy()
    dgamma = np.full(4, np.nan, dtype=dtype)
    dbeta = np.full(4, np.nan, dtype=dtype)
    _backward.batch_norm_backward(
        dS, xhat.astype(dtype), inv_std.astype(dtype), gamma, dgamma, dbeta
    )
    ref_dZ, ref_dgamma, ref_dbeta = naive.batch_norm_backward(dS0, Z, gamma)
    assert_close(dS, ref_dZ, dtype, "input gradient")
    assert_close(dgamma, ref_dgamma, dtype, "dgamma")
    assert_close(dbeta, ref_dbeta, dtype, "dbeta")
    # The batch mean cancels: the input gradient sums to zero over the batch.
    np.testing.assert_allclose(dS.sum(axis=0), 0.0, atol=1e-4)


# --------------------------------------------------------------------------------------------
# Optimizer
# --------------------------------------------------------------------------------------------


def _hyperparameters(p, act="relu", kind="squared_error", batch_size=1, shuffle=False, rates=()):
    """The kernels' hyperparameter vector of the settings ``p`` (a merged HYPER/variant dict),
    filled by index here, apart from the package's own filling."""
    parameters = kernel_loss(kind)[1]
    # NaN: an index left out
    hp = np.full(_network.HP_DROPOUT + len(rates) + len(parameters), np.nan)
    for index, value in (
        (_network.HP_ACTIVATION, ACT_CODE[act]), (_network.HP_LOSS, LOSS_CODE[kind]),
        (_network.HP_SOLVER, SOLVER_CODE[p["solver"]]), (_network.HP_BATCH_SIZE, batch_size),
        (_network.HP_SHUFFLE, shuffle), (_network.HP_BN_MOMENTUM, 0.8),
        (_network.HP_EVEN_BATCHES, p.get("even_batches", False)),
        (_network.HP_MOMENTUM, p["momentum"]), (_network.HP_NESTEROV, p["nesterov"]),
        (_network.HP_BETA_1, p["beta_1"]), (_network.HP_BETA_2, p["beta_2"]),
        (_network.HP_EPSILON, p["epsilon"]), (_network.HP_RHO, p["rho"]),
        (_network.HP_L2, p["l2"]), (_network.HP_L1, p["l1"]),
        (_network.HP_CLIP_NORM, p.get("clip_norm", 0.0)),
        (_network.HP_LOSS_PARAMETERS, _network.HP_DROPOUT + len(rates)),
    ):  # fmt: skip
        hp[index] = value
    hp[_network.HP_DROPOUT : _network.HP_DROPOUT + len(rates)] = rates
    hp[_network.HP_DROPOUT + len(rates) :] = parameters
    return hp


def _kernel_update(theta, grad, s1, s2, groups, lr, step, p):
    """Call the update kernel with the hyper-parameters ``p`` (a merged HYPER/variant dict)."""
    return _optimizers.update(
        theta, grad, (s1, s2), tuple(groups), _hyperparameters(p), lr, step, p["weight_decay"],
        theta.dtype.type(1.0),
    )  # fmt: skip


def _reference_update(theta, grad, s1, s2, groups, lr, step, p):
    return naive.optimizer_update(
        theta, grad, s1, s2, *groups, p["solver"], lr, step, p["momentum"], p["nesterov"],
        p["beta_1"], p["beta_2"], p["epsilon"], p["rho"], p["l2"], p["l1"], p["weight_decay"],
    )  # fmt: skip


def _random_groups(n, dtype, rs):
    """Per-parameter vectors as parameter groups make them, drawn independently per entry.

    Learning-rate factors 0 (frozen), 0.5, 1 and 2; penalty and decay choices independent of
    each other, so each coordinate's rule is checked apart from the others. As for groups,
    the decay of a decayed coordinate follows its learning-rate factor.
    """
    lr_scale = rs.choice([0.0, 0.5, 1.0, 2.0], n).astype(dtype)
    penalty_mask = (rs.uniform(size=n) < 0.7).astype(np.uint8)
    decay_scale = (lr_scale * (rs.uniform(size=n) < 0.6)).astype(dtype)
    return lr_scale, penalty_mask, decay_scale


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("variant", SOLVER_VARIANTS)
def test_update(variant, penalty, dtype):
    p = {**HYPER, **SOLVER_VARIANTS[variant], **PENALTIES[penalty]}
    rs = np.random.RandomState(10)
    n = 60
    groups = _random_groups(n, dtype, rs)
    theta = rs.normal(0.0, 0.5, n).astype(dtype)
    theta0 = theta.copy()
    s1, s2 = np.zeros(n, dtype), np.zeros(n, dtype)
    lr = 0.05
    # Three steps from zero state: momentum / accumulators / Adam's bias correction all move.
    for step in (1, 2, 3):
        grad = rs.normal(0.0, 0.3, n).astype(dtype)
        grad_before = grad.copy()
        # The kernel and the reference continue from the kernel's (rounded) state.
        inputs = (theta.copy(), s1.copy(), s2.copy())
        pen = _kernel_update(theta, grad, s1, s2, groups, lr, step, p)
        ref = _reference_update(inputs[0], grad, inputs[1], inputs[2], groups, lr, step, p)
        msg = f"step {step}"
        assert theta.dtype == dtype
        assert_close(theta, ref[0], dtype, msg + " theta")
        assert_close(s1, ref[1], dtype, msg + " state1")
        assert_close(s2, ref[2], dtype, msg + " state2")
        assert_close(pen, ref[3], dtype, msg + " penalty")
        np.testing.assert_array_equal(grad, grad_before)
    frozen = groups[0] == 0
    assert not np.array_equal(theta[~frozen], theta0[~frozen])
    # A factor of 0 freezes a coordinate exactly, penalties and decay included.
    np.testing.assert_array_equal(theta[frozen], theta0[frozen])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", SOLVER_VARIANTS)
def test_l1_prox_gives_exact_zeros(variant, dtype):
    # Strengths that zero a fair share of the weights given each solver's step size.
    l1 = {"adagrad": 1.0, "rmsprop": 0.5, "adam": 0.2}.get(variant, 4.0)
    p = {**HYPER, **SOLVER_VARIANTS[variant], "l2": 0.0, "l1": l1, "weight_decay": 0.0}
    rs = np.random.RandomState(12)
    n = 200
    mask = (np.arange(n) % 4 != 0).astype(np.uint8)
    groups = (np.ones(n, dtype), mask, mask.astype(dtype))
    theta = rs.normal(0.0, 0.3, n).astype(dtype)
    grad = rs.normal(0.0, 0.3, n).astype(dtype)
    s1, s2 = np.zeros(n, dtype), np.zeros(n, dtype)
    theta0 = theta.copy()
    lr = 0.05
    _kernel_update(theta, grad, s1, s2, groups, lr, 1, p)
    ref_theta = _reference_update(theta0, grad, np.zeros(n), np.zeros(n), groups, lr, 1, p)[0]
    weights = mask == 1
    zeros = theta == 0.0
    # A good share of weights are set to exactly 0, and exactly where the reference says so
    # (up to coordinates within rounding of the threshold).
    assert 0.1 * weights.sum() < (zeros & weights).sum() < 0.9 * weights.sum()
    ref_zero = ref_theta == 0.0
    scale = np.abs(ref_theta).max()
    clear = (np.abs(ref_theta) > 1e-4 * scale) | ref_zero
    np.testing.assert_array_equal(zeros[clear & weights], ref_zero[clear & weights])
    # Biases and other unpenalized coordinates are never thresholded.
    assert not np.any(zeros[~weights])
    assert_close(theta, ref_theta, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_by_global_norm(max_norm, dtype):
    grad = np.random.RandomState(13).normal(size=50).astype(dtype)
    before = grad.copy()
    norm = _optimizers.clip_by_global_norm(grad, max_norm)
    ref, ref_norm = naive.clip_by_global_norm(before, max_norm)
    assert_close(norm, ref_norm, dtype, "norm")
    assert_close(grad, ref, dtype, "clipped gradient")
    if max_norm > ref_norm:
        np.testing.assert_array_equal(grad, before)
    else:
        assert_close(np.linalg.norm(grad.astype(np.float64)), max_norm, dtype)


# --------------------------------------------------------------------------------------------
# Whole network
def _category_problem(dtype, n=23, n_values=3, levels=(4, 1, 7), d=3):
    rs = np.random.RandomState(16)
    values = rs.normal(size=(n, n_values))
    codes = np.stack([rs.randint(0, m, n) for m in levels], axis=1)
    X = np.ascontiguousarray(np.hstack([values, codes]), dtype=dtype)
    starts = np.cumsum((0, *levels)).astype(np.int64)
    vectors = rs.normal(size=(starts[-1], d)).astype(dtype)
    return X, starts, vectors


@pytest.mark.parametrize("dtype", DTYPES)
def test_embed_categories(dtype):
    X, starts, vectors = _category_problem(dtype)
    n_cat, d = len(starts) - 1, vectors.shape[1]
    base = 5  # columns before it belong to other parts of the input block: left alone
    out = np.full((X.shape[0], base + n_cat * d), np.nan, dtype)
    _forward.embed_categories(X, 3, starts, vectors, out, base)
    assert np.isnan(out[:, :base]).all()
    expected = naive.category_vectors(X[:, 3:], starts, vectors)
    np.testing.assert_array_equal(out[:, base:], expected.astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_embed_categories_backward(dtype):
    X, starts, vectors = _category_problem(dtype)
    n_cat, d = len(starts) - 1, vectors.shape[1]
    d_out = np.random.RandomState(17).normal(size=(X.shape[0], 2 + n_cat * d)).astype(dtype)
    g = np.full_like(vectors, np.nan)
    _backward.embed_categories_backward(d_out, X, 3, starts, 2, g)
    # The gradient is linear in d_out: each row of the tables collects what its code picked.
    expected = np.zeros(vectors.shape)
    codes = X[:, 3:].astype(int)
    for i in range(X.shape[0]):
        for c in range(n_cat):
            expected[starts[c] + codes[i, c]] += d_out[i, 2 + c * d : 2 + (c + 1) * d]
    assert_close(g, expected, dtype)
    # A level no row has (feature 2's table rows never drawn, if any) gets 0, not NaN.
    assert np.isfinite(g).all()


# --------------------------------------------------------------------------------------------


def test_layout_columns_match_reference():
    # naive.py reads the tables by the documented column order.
    kernel_cols = (
        _network.FAN_IN, _network.FAN_OUT, _network.W_OFF, _network.B_OFF, _network.GAMMA_OFF,
        _network.BETA_OFF, _network.MEAN_OFF, _network.VAR_OFF, _network.MIX_OFF,
        _network.KIND, _network.RATE, _network.MEMBERS, _network.MS_OFF, _network.MB_OFF,
    )  # fmt: skip
    assert kernel_cols == tuple(range(14)) and _network.N_COLUMNS == 14
    assert (naive.FAN_IN, naive.VAR_OFF, naive.MIX_OFF, naive.KIND, naive.RATE) == (
        0, 7, 8, 9, 10,
    )  # fmt: skip
    assert (naive.MEMBERS, naive.MS_OFF, naive.MB_OFF) == (11, 12, 13)
    kinds = ("input", "dense", "batch_norm", "activation", "dropout", "loss", "replicate",
             "member_scale")  # fmt: skip
    assert [_network.LAYER_KINDS[k] for k in kinds] == list(range(8))
    assert (naive.INPUT, naive.DENSE, naive.BATCH_NORM, naive.ACTIVATION) == (0, 1, 2, 3)
    assert (naive.DROPOUT, naive.LOSS, naive.REPLICATE, naive.MEMBER_SCALE) == (4, 5, 6, 7)
    input_fields = (
        _network.IN_FEATURES, _network.EMB_FEATURES, _network.EMB_FREQS, _network.EMB_DIM,
        _network.FREQ_OFF, _network.PHASE_OFF, _network.EMB_W_OFF, _network.EMB_B_OFF,
        _network.SCALE_OFF, _network.IN_WIDTH, _network.CAT_FEATURES, _network.CAT_DIM,
        _network.CAT_OFF,
    )  # fmt: skip
    assert input_fields == tuple(range(13)) and _network.N_INPUT_FIELDS == 13
    assert (naive.IN_FEATURES, naive.SCALE_OFF, naive.IN_WIDTH, naive.CAT_FEATURES) == (
        0, 8, 9, 10,
    )  # fmt: skip
    assert (naive.CAT_DIM, naive.CAT_OFF, naive.N_INPUT_FIELDS) == (11, 12, 13)


def _kernel_forward_backward(X, Y, sw, theta, bn_state, net, act, kind, rates, update, rng):
    """Run ``forward_backward`` on copies; return loss, grad, bn_state, X after, rng state."""
    Xb, bn, state = X.copy(), bn_state.copy(), rng.copy()
    grad = np.full_like(theta, np.nan)  # every entry must be overwritten
    loss = _epoch.forward_backward(
        Xb, Y, sw, theta, grad, bn, *net.kernel_tables, ACT_CODE[act], kernel_loss(kind),
        rates, 0.7, update, state, None, None,
    )  # fmt: skip
    return loss, grad, bn, Xb, state


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("parts", ["plain", "all"])
@pytest.mark.parametrize("arch, act, kind", network_cases())
def test_forward_backward(arch, act, kind, parts, batch_norm, dropout, dtype):
    hidden = ARCHS[arch]
    net, theta, bn_state, _ = make_network(
        4, hidden, N_OUTPUTS[kind], batch_norm, dtype, 0, parts=PARTS[parts]
    )
    X, Y, sw = make_data(13, 4, kind, dtype, 1)
    X = with_codes(X, net)
    rates = dropout_rates(net.n_layers, dropout)
    rng = _rng.make_state(99)
    loss, grad, bn, Xb, state = _kernel_forward_backward(
        X, Y, sw, theta, bn_state, net, act, kind, rates, True, rng
    )
    ref_rng = naive.SplitMix64(rng)
    ref_loss, ref_grad, ref_bn, ref_X = naive.forward_backward(
        X,
        Y,
        sw,
        theta,
        bn_state,
        net.table,
        net.inputs,
        act,
        naive_loss(kind),
        rates,
        0.7,
        True,
        ref_rng,
    )
    assert grad.dtype == dtype
    assert_close(loss, ref_loss, dtype, "loss")
    assert_close(grad, ref_grad, dtype, "gradient")
    assert_close(bn, ref_bn, dtype, "running statistics")
    assert_close(Xb, ref_X, dtype, "input after input dropout")
    np.testing.assert_array_equal(state, ref_rng.state_array())
    if dropout:
        assert not np.array_equal(state, rng)
    else:
        np.testing.assert_array_equal(state, rng)
        np.testing.assert_array_equal(Xb, X)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("parts", ["members", "members_mini"])
@pytest.mark.parametrize("kind", naive.LOSSES)
@pytest.mark.parametrize("arch, act", [("0_hidden", "identity"), ("2_hidden", "tanh")])
def test_forward_backward_shared_members(arch, act, kind, parts, batch_norm, dropout, dtype):
    # Three members sharing the weights, with every input-block part: each loss, and the
    # adapters around every dense layer or at the ends only.
    test_forward_backward(arch, act, kind, parts, batch_norm, dropout, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_backward_keeps_running_stats_without_update(dtype):
    net, theta, bn_state, _ = make_network(4, (5, 3), 2, True, dtype, 2)
    X, Y, sw = make_data(9, 4, "squared_error", dtype, 3)
    rates = dropout_rates(net.n_layers, True)
    rng = _rng.make_state(1)
    _, _, bn, _, _ = _kernel_forward_backward(
        X, Y, sw, theta, bn_state, net, "relu", "squared_error", rates, False, rng
    )
    np.testing.assert_array_equal(bn, bn_state)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("penalty", ["none", "l2", "l1", "elasticnet"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("parts", ["plain", "all", "members", "members_mini"])
def test_loss_and_grad(penalty, batch_norm, parts, dtype):
    kind = "softmax_cross_entropy"
    net, theta, bn_state, groups = make_network(
        5, (4, 3), 3, batch_norm, dtype, 4, parts=PARTS[parts]
    )
    mask = groups[1]
    X, Y, sw = make_data(10, 5, kind, dtype, 5)
    X = with_codes(X, net)
    rates = dropout_rates(net.n_layers, True)
    l2, l1 = PENALTIES[penalty]["l2"], PENALTIES[penalty]["l1"]
    rng = _rng.make_state(8)
    X0, bn0 = X.copy(), bn_state.copy()
    grad = np.full_like(theta, np.nan)
    value = _epoch.loss_and_grad(
        X, Y, sw, theta, grad, bn_state, *net.kernel_tables, mask, ACT_CODE["elu"],
        kernel_loss(kind), rates, l2, l1, rng,
    )  # fmt: skip
    ref_value, ref_grad = naive.loss_and_grad(
        X, Y, sw, theta, bn_state, net.table, net.inputs, mask, "elu", kind, rates, l2, l1,
        naive.SplitMix64(8),
    )  # fmt: skip
    assert_close(value, ref_value, dtype, "objective")
    assert_close(grad, ref_grad, dtype, "gradient")
    # Inputs and running statistics are left alone.
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(bn_state, bn0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("parts", [p for p in PARTS if not p.startswith("members")])
@pytest.mark.parametrize("arch, act", network_cases(with_loss=False))
def test_network_outputs(arch, act, parts, batch_norm, dtype):
    # More rows than one block, and not a multiple of it, with few features to stay fast.
    n = 2 * PREDICT_BLOCK + 37
    net, theta, bn_state, _ = make_network(
        4, ARCHS[arch], 2, batch_norm, dtype, 6, parts=PARTS[parts]
    )
    X = with_codes(np.random.RandomState(7).normal(size=(n, 4)).astype(dtype), net)
    tables = (net.table, net.inputs)
    out = network_outputs(X, None, theta, bn_state, net.kernel_tables, ACT_CODE[act])
    assert out.dtype == dtype and out.shape == (n, 2 * net.n_members)
    assert_close(out, naive.predict_raw(X, theta, bn_state, *tables, act), dtype)
    # Each row depends on that row alone, whatever block it falls in.
    rows = slice(PREDICT_BLOCK - 3, PREDICT_BLOCK + 3)
    sub = network_outputs(
        np.ascontiguousarray(X[rows]), None, theta, bn_state, net.kernel_tables, ACT_CODE[act]
    )
    assert_close(sub, out[rows], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("parts", ["members", "members_mini"])
@pytest.mark.parametrize("arch, act", [("0_hidden", "identity"), ("2_hidden", "mish")])
def test_network_outputs_shared_members(arch, act, parts, batch_norm, dtype):
    # Each member's outputs side by side, member after member.
    test_network_outputs(arch, act, parts, batch_norm, dtype)


def _csr(n, n_features, dtype, seed, index_dtype=np.int32):
    """A CSR matrix with about a third of its entries stored, some rows empty."""
    rs = np.random.RandomState(seed)
    dense = rs.normal(size=(n, n_features)) * (rs.uniform(size=(n, n_features)) < 0.35)
    dense[1] = 0.0
    X = sp.csr_matrix(dense.astype(dtype))
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    return X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("scaling", [False, True], ids=["plain", "scaling"])
@pytest.mark.parametrize("kind", naive.LOSSES)
def test_forward_backward_on_sparse_rows(kind, scaling, batch_norm, dropout, dtype):
    net, theta, bn_state, _ = make_network(
        7, (5, 4), N_OUTPUTS[kind], batch_norm, dtype, 3, parts=("scaling",) if scaling else ()
    )
    X = _csr(20, 7, dtype, 4)
    rows = np.array([3, 0, 1, 17, 8, 8, 12, 5, 19, 2, 11], dtype=np.int64)
    _, Y, sw = make_data(len(rows), 7, kind, dtype, 5)
    rates = dropout_rates(net.n_layers, dropout)
    rng = _rng.make_state(31)
    state, bn = rng.copy(), bn_state.copy()
    data = X.data.copy()
    grad = np.full_like(theta, np.nan)
    loss = _epoch.forward_backward(
        np.empty((len(rows), 0), dtype), Y, sw, theta, grad, bn, *net.kernel_tables,
        ACT_CODE["tanh"], kernel_loss(kind), rates, 0.7, True, state,
        (X.data, X.indices, X.indptr), rows,
    )  # fmt: skip
    np.testing.assert_array_equal(X.data, data)  # the matrix is never modified
    ref_rng = naive.SplitMix64(rng)
    dense = naive.sparse_first_layer_input(X, rows, rates[0], ref_rng)
    ref_loss, ref_grad, ref_bn, _ = naive.forward_backward(
        dense, Y, sw, theta, bn_state, net.table, net.inputs, "tanh", naive_loss(kind),
        np.r_[0.0, rates[1:]], 0.7, True, ref_rng,
    )  # fmt: skip
    assert_close(loss, ref_loss, dtype, "loss")
    assert_close(grad, ref_grad, dtype, "gradient")
    assert_close(bn, ref_bn, dtype, "running statistics")
    np.testing.assert_array_equal(state, ref_rng.state_array())


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scaling", [False, True], ids=["plain", "scaling"])
def test_network_outputs_on_sparse_rows(scaling, dtype, index_dtype):
    n = PREDICT_BLOCK + 37  # two blocks
    net, theta, bn_state, _ = make_network(
        6, (5,), 2, True, dtype, 6, parts=("scaling",) if scaling else ()
    )
    X = _csr(n, 6, dtype, 9, index_dtype)
    tables = (net.table, net.inputs)
    out = network_outputs(
        np.empty((n, 0), dtype), (X.data, X.indices, X.indptr), theta, bn_state,
        net.kernel_tables, ACT_CODE["relu"],
    )  # fmt: skip
    assert out.dtype == dtype
    assert_close(out, naive.predict_raw(X.toarray(), theta, bn_state, *tables, "relu"), dtype)


# --------------------------------------------------------------------------------------------
# Epochs
# --------------------------------------------------------------------------------------------


class KernelRun:
    """Arrays the epoch kernel updates in place, with a method to run one epoch on them."""

    def __init__(self, theta, bn_state, seed):
        self.theta = theta.copy()
        self.bn_state = bn_state.copy()
        self.grad = np.zeros_like(theta)
        self.state1 = np.zeros_like(theta)
        self.state2 = np.zeros_like(theta)
        self.step = np.zeros(1, dtype=np.int64)
        self.rng = _rng.make_state(seed)

    def epoch(self, X, Y, sw, net, groups, act, kind, batch_size, shuffle, rates, schedule, p):
        hp = _hyperparameters(p, act, kind, batch_size, shuffle, rates)
        return _epoch.run_epoch(
            X, Y, sw, self.theta, self.grad, (self.state1, self.state2), self.bn_state,
            *net.kernel_tables, tuple(groups), self.step, self.rng, hp, schedule,
        )  # fmt: skip


class ReferenceRun:
    """The same state for the NumPy reference (float64 copies)."""

    def __init__(self, theta, bn_state, seed):
        self.theta = theta.astype(np.float64)
        self.bn_state = bn_state.astype(np.float64)
        self.state1 = np.zeros_like(self.theta)
        self.state2 = np.zeros_like(self.theta)
        self.step = 0
        self.rng = naive.SplitMix64(seed)

    def epoch(self, X, Y, sw, net, groups, act, kind, batch_size, shuffle, rates, schedule, p):
        loss, self.theta, self.state1, self.state2, self.bn_state, self.step = naive.run_epoch(
            X, Y, sw, self.theta, self.state1, self.state2, self.bn_state, net.table,
            net.inputs, *groups, self.step, self.rng, act, naive_loss(kind), batch_size, shuffle,
            rates, 0.8,
            p["solver"], schedule, p["momentum"], p["nesterov"], p["beta_1"], p["beta_2"],
            p["epsilon"], p["rho"], p["l2"], p["l1"], p.get("clip_norm", 0.0),
            p.get("even_batches", False),
        )  # fmt: skip
        return loss


def _schedule(n_batches, p, epoch, varying):
    """Per-batch learning rate, weight decay and dropout factor of one epoch.

    Constant (the learning rate 0.05, ``p["weight_decay"]``, factor 1), or, when ``varying``,
    different in every batch and epoch (as the tabular-recipe schedules are).
    """
    schedule = np.empty((n_batches, 3))
    schedule[:] = [0.05, p["weight_decay"], 1.0]
    if varying:
        progress = (epoch * n_batches + np.arange(n_batches)) / (4.0 * n_batches)
        schedule[:, 0] *= 1.5 - progress
        schedule[:, 1] *= 2.0 * (1.0 - progress)
        schedule[:, 2] = 1.0 - progress
    return schedule


def _compare_epochs(
    setting, dtype, n_epochs=2, n=23, batch_size=8, shuffle=True, seed=0, zero_rows=None
):
    """Run ``n_epochs`` epochs with the kernel and the reference and compare after each.

    ``setting`` holds arch, act, kind, batch_norm, dropout and the optimizer dict ``p``. The
    default 23 rows in batches of 8 make the last batch smaller (7 rows). ``zero_rows`` get
    sample weight 0. Returns the kernel run and the number of updates per epoch.
    """
    hidden, act, kind = ARCHS[setting["arch"]], setting["act"], setting["kind"]
    net, theta, bn_state, groups = make_network(
        4, hidden, N_OUTPUTS[kind], setting["batch_norm"], dtype, seed,
        setting.get("lr_factors"), PARTS[setting.get("parts", "plain")],
    )  # fmt: skip
    X, Y, sw = make_data(n, 4, kind, dtype, seed + 1)
    X = with_codes(X, net)
    if zero_rows is not None:
        sw[zero_rows] = 0.0
    rates = dropout_rates(net.n_layers, setting["dropout"])
    p = setting["p"]
    kernel, ref = KernelRun(theta, bn_state, 77), ReferenceRun(theta, bn_state, 77)
    n_batches = -(-n // batch_size)
    for epoch in range(n_epochs):
        schedule = _schedule(n_batches, p, epoch, setting.get("varying_schedule", False))
        args = (X, Y, sw, net, groups, act, kind, batch_size, shuffle, rates, schedule, p)
        loss = kernel.epoch(*args)
        ref_loss = ref.epoch(*args)
        msg = f"epoch {epoch}"
        assert np.isfinite(loss)
        assert_close(loss, ref_loss, dtype, msg + " loss")
        assert_close(kernel.theta, ref.theta, dtype, msg + " theta")
        assert_close(kernel.state1, ref.state1, dtype, msg + " state1")
        assert_close(kernel.state2, ref.state2, dtype, msg + " state2")
        assert_close(kernel.bn_state, ref.bn_state, dtype, msg + " running statistics")
        assert kernel.step[0] == ref.step
        np.testing.assert_array_equal(kernel.rng, ref.rng.state_array())
    assert not np.array_equal(kernel.theta, theta)
    return kernel, ref.step // n_epochs


def _epsilon_for(batch_norm):
    # With batch norm, the bias of the dense layer before it has a gradient that is exactly 0
    # in exact arithmetic (the normalization removes any shift), so kernel and reference both
    # hold pure rounding noise there (~1e-8 in float32, ~1e-16 in float64), in different
    # summation orders. Adaptive solvers divide by sqrt(accumulated g**2) + epsilon; with the
    # default epsilon of 1e-8 that turns the noise into steps far above the comparison
    # tolerance (lr-sized in float32, ~1e-9 in float64). An epsilon far above the noise keeps
    # that coordinate's step negligible while every real gradient still dominates it.
    return 1e-3 if batch_norm else 1e-8


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bn_dropout", [False, True], ids=["plain", "bn_dropout"])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("variant", SOLVER_VARIANTS)
def test_run_epoch_solvers(variant, penalty, bn_dropout, dtype):
    p = {**HYPER, **SOLVER_VARIANTS[variant], **PENALTIES[penalty]}
    p["epsilon"] = _epsilon_for(bn_dropout)
    setting = dict(
        arch="2_hidden", act="tanh", kind="squared_error", batch_norm=bn_dropout,
        dropout=bn_dropout, p=p,
    )  # fmt: skip
    _compare_epochs(setting, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ["sgd_momentum", "rmsprop", "adam"])
def test_run_epoch_group_learning_rate_factors(variant, dtype):
    # Group factors other than 1 reach every coordinate of their group through the epoch.
    _compare_epochs(_group_factor_setting(variant, "all_values"), dtype)


@pytest.mark.parametrize("variant", ["sgd_momentum", "rmsprop", "adam"])
def test_run_epoch_category_learning_rate_factor(variant):
    # The categorical vectors' group factor, with every other group's, in float64. (In
    # float32 the vectors' unit scale through batch norm and a 4x scaling-layer rate leaves
    # rounding differences of 1e-6 to 4e-5 of the largest entry, beyond the 1e-5 tolerance on
    # some seeds; the recipe-parts tests compare the categorical vectors in float32.)
    _compare_epochs(_group_factor_setting(variant, "all"), np.float64)


def _group_factor_setting(variant, parts):
    """A 2-hidden-layer network with every parameter group at a learning-rate factor of its
    own (the categorical vectors' only when ``parts`` has them)."""
    p = {**HYPER, **SOLVER_VARIANTS[variant], **PENALTIES["elasticnet"], "weight_decay": 0.1}
    p["epsilon"] = _epsilon_for(True)
    lr_factors = {
        "weights": 0.5, "biases": 2.0, "batch_norm": 3.0, "embeddings": 0.3, "scaling": 4.0,
        "activation": 0.7,
    }  # fmt: skip
    if "categories" in PARTS[parts]:
        lr_factors["categories"] = 1.5
    return dict(
        arch="2_hidden", act="tanh", kind="squared_error", batch_norm=True, dropout=True, p=p,
        lr_factors=lr_factors, parts=parts,
    )  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variant", ["sgd_nesterov", "adam"])
@pytest.mark.parametrize("parts", ["input_block", "mix"])
def test_run_epoch_recipe_parts_and_varying_schedules(variant, parts, dtype):
    # Numeric embeddings, the scaling layer and parametric activations through whole epochs,
    # with a learning rate, weight decay and dropout factor that change every batch.
    p = {**HYPER, **SOLVER_VARIANTS[variant], **PENALTIES["elasticnet"], "weight_decay": 0.1}
    setting = dict(
        arch="2_hidden", act="silu", kind="softmax_cross_entropy", batch_norm=False,
        dropout=True, p=p, parts=parts, varying_schedule=True,
    )  # fmt: skip
    _compare_epochs(setting, dtype, n_epochs=3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("arch, act, kind", network_cases())
def test_run_epoch_networks(arch, act, kind, dtype):
    p = {**HYPER, "solver": "adam", "l2": 0.1, "l1": 0.01, "weight_decay": 0.05}
    p["epsilon"] = _epsilon_for(True)
    setting = dict(arch=arch, act=act, kind=kind, batch_norm=True, dropout=True, p=p)
    _compare_epochs(setting, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("even", [False, True], ids=["remainder_last", "even"])
@pytest.mark.parametrize(
    "n, batch_size, shuffle",
    [(23, 8, False), (23, 23, True), (23, 200, True), (9, 1, True), (16, 4, True), (21, 10, True)],
)
def test_run_epoch_batching(n, batch_size, shuffle, even, dtype):
    p = {**HYPER, **SOLVER_VARIANTS["sgd_nesterov"], **PENALTIES["elasticnet"]}
    p["even_batches"] = even
    setting = dict(
        arch="1_hidden", act="relu", kind="sigmoid_cross_entropy", batch_norm=False,
        dropout=True, p=p,
    )  # fmt: skip
    _, updates = _compare_epochs(setting, dtype, n=n, batch_size=batch_size, shuffle=shuffle)
    assert updates == -(-n // batch_size)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip_norm", [0.05, 1e6], ids=["clipping", "no_clipping"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
def test_run_epoch_clip_norm(clip_norm, batch_norm, dtype):
    p = {**HYPER, **SOLVER_VARIANTS["sgd_momentum"], **PENALTIES["elasticnet"]}
    p["clip_norm"] = clip_norm
    setting = dict(
        arch="2_hidden", act="elu", kind="softmax_cross_entropy", batch_norm=batch_norm,
        dropout=True, p=p,
    )  # fmt: skip
    _compare_epochs(setting, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_run_epoch_skips_zero_weight_batches(dtype):
    p = {**HYPER, **SOLVER_VARIANTS["adam"], **PENALTIES["elasticnet"]}
    setting = dict(
        arch="1_hidden", act="tanh", kind="squared_error", batch_norm=False, dropout=True, p=p
    )
    # Without shuffling, rows 8..15 form the second batch: all its weights are 0.
    _, updates = _compare_epochs(setting, dtype, shuffle=False, zero_rows=slice(8, 16), n_epochs=2)
    assert updates == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_run_epoch_is_deterministic(dtype):
    p = {**HYPER, "solver": "adam", "l2": 0.1, "l1": 0.01, "weight_decay": 0.05}
    net, theta, bn_state, groups = make_network(4, (5, 4), 3, True, dtype, 3, parts=PARTS["all"])
    X, Y, sw = make_data(23, 4, "softmax_cross_entropy", dtype, 4)
    X = with_codes(X, net)
    rates = dropout_rates(net.n_layers, True)
    schedule = _schedule(3, p, 0, True)
    args = (X, Y, sw, net, groups, "leaky_relu", "softmax_cross_entropy", 8, True, rates, schedule)
    runs = [KernelRun(theta, bn_state, 5), KernelRun(theta, bn_state, 5)]
    losses = [run.epoch(*args, p) for run in runs]
    assert losses[0] == losses[1]
    for name in ("theta", "bn_state", "state1", "state2", "step", "rng"):
        a, b = getattr(runs[0], name), getattr(runs[1], name)
        assert a.tobytes() == b.tobytes(), name
    assert not np.array_equal(runs[0].theta, theta)
    # A different seed gives different shuffles and masks, hence different weights.
    other = KernelRun(theta, bn_state, 6)
    other.epoch(*args, p)
    assert not np.array_equal(other.theta, runs[0].theta)


@pytest.mark.parametrize("dtype", DTYPES)
def test_run_epoch_l1_gives_exact_zeros(dtype):
    p = {**HYPER, "solver": "adam", "l2": 0.0, "l1": 5.0, "weight_decay": 0.0}
    setting = dict(
        arch="2_hidden", act="tanh", kind="squared_error", batch_norm=False, dropout=False, p=p
    )
    kernel, _ = _compare_epochs(setting, dtype, n_epochs=3)
    mask = NetworkLayout([4, 5, 4, 2], False).optimizer_vectors(dtype)[1].astype(bool)
    n_zero = int((kernel.theta[mask] == 0.0).sum())
    assert n_zero > mask.sum() // 4
    assert not np.any(kernel.theta[~mask] == 0.0)


# --------------------------------------------------------------------------------------------
# The hyperparameter vector
# --------------------------------------------------------------------------------------------


def test_the_epoch_and_update_kernels_take_few_arguments():
    # The settings travel as one vector and the group vectors as one tuple.
    # At most 16 and 12 (the building-blocks issue's limits); exactly these counts now, so
    # that a new argument is a decision, not a drift.
    for kernel, count in ((_epoch.run_epoch, 16), (_optimizers.update, 9)):
        function = getattr(kernel, "py_func", kernel)  # the function itself without the JIT
        assert len(inspect.signature(function).parameters) == count, function.__name__


@pytest.mark.parametrize("solver", ["sgd", "rmsprop", "adamw"])  # L-BFGS takes no vector
def test_every_index_of_the_hyperparameter_vector_is_filled(solver):
    X = np.random.RandomState(0).normal(size=(60, 3))
    y = (X[:, 0] > 0).astype(int)
    est = RegularizedMLPClassifier(solver=solver, max_iter=2, random_state=0)
    est.set_params(clip_norm=1.0, dropout=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two epochs do not converge
        est.fit(X, y)
    layout = est._layout()
    config = est._training_config(layout, 48, False)
    hp = config.hyperparameters()
    assert hp.shape == (_network.HP_DROPOUT + layout.n_layers,)
    assert not np.isnan(hp).any()
    assert hp[_network.HP_SOLVER] == SOLVER_CODE[solver] and hp[_network.HP_CLIP_NORM] == 1.0
    assert hp[_network.HP_LOSS_PARAMETERS] == _network.HP_DROPOUT + layout.n_layers
    np.testing.assert_array_equal(hp[_network.HP_DROPOUT :], config.dropout_rates)
