import numpy as np
import pytest
import torch
from scipy.linalg import sqrtm

from ganclf.metrics import frechet_distance, precision_recall


def _exact_gaussian(n, cov, mean, seed):
    """Samples whose sample mean and covariance are exactly `mean` and `cov` (whitened, then coloured)."""
    x = np.random.default_rng(seed).standard_normal((n, len(mean)))
    x -= x.mean(0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x.T))).T
    return x @ np.linalg.cholesky(cov).T + mean


def test_frechet_distance_of_identical_sets_is_zero():
    feats = torch.randn(2000, 32, generator=torch.Generator().manual_seed(0))
    assert frechet_distance(feats, feats) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(feats, feats.clone()[torch.randperm(2000)]) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_shifted_scaled_gaussians_matches_closed_form():
    # N(0, I) vs N(mu, 4I): |mu|^2 + tr(I + 4I - 2*2I) = |mu|^2 + d
    d, mu = 6, np.full(6, 0.5)
    a, b = _exact_gaussian(500, np.eye(d), np.zeros(d), 0), _exact_gaussian(700, 4 * np.eye(d), mu, 1)
    assert frechet_distance(a, b) == pytest.approx(mu @ mu + d, rel=1e-9)


def test_frechet_distance_with_non_commuting_covariances_matches_sqrtm():
    rng = np.random.default_rng(2)
    m1, m2 = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(5), m2 @ m2.T + 0.1 * np.eye(5)
    mean = rng.standard_normal(5)
    a, b = _exact_gaussian(400, s1, np.zeros(5), 3), _exact_gaussian(400, s2, mean, 4)
    expected = mean @ mean + np.trace(s1 + s2 - 2 * sqrtm(s1 @ s2).real)
    assert frechet_distance(torch.tensor(a, dtype=torch.float32), b) == pytest.approx(expected, rel=1e-5)


def test_precision_recall_of_identical_and_far_apart_sets():
    real = torch.randn(500, 16, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real, real) == (1.0, 1.0)
    assert precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_precision_recall_separates_fidelity_from_coverage():
    # Fakes collapsed onto a quarter of the real cloud: faithful (high precision) but not covering (low recall).
    real = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    tail = real[real[:, 0] > 0.7]
    collapsed = tail + 0.01 * torch.randn(tail.shape, generator=torch.Generator().manual_seed(1))
    precision, recall = precision_recall(real, collapsed, chunk=300)
    assert precision > 0.95 and recall < 0.5
