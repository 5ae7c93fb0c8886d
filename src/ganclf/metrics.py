"""Metrics as pure functions: classification (labels, predictions) and GAN quality (feature sets)."""
import numpy as np
import torch
from sklearn.metrics import confusion_matrix


def classification_metrics(y_true, y_pred, num_classes: int) -> dict:
    """Accuracy, per-class accuracy (recall) and the confusion matrix (rows: true, columns: predicted)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    return {"accuracy": float((y_true == y_pred).mean()), "errors": int((y_true != y_pred).sum()),
            "per_class_accuracy": per_class.round(4).tolist(), "confusion_matrix": cm.tolist()}


def frechet_distance(feats_a, feats_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D): the FID formula.

    |mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^1/2), with tr (S_a S_b)^1/2 taken as the trace of the
    symmetric PSD matrix (S_a^1/2 S_b S_a^1/2)^1/2 (same eigenvalues), so two eigh calls in float64 replace a
    general sqrtm and its complex round-off.
    """
    a, b = _float64(feats_a), _float64(feats_b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.atleast_2d(torch.cov(a.T)), torch.atleast_2d(torch.cov(b.T))
    root_a = _psd_sqrt(cov_a)
    middle = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp_min(0).sqrt().sum()
    fd = (mu_a - mu_b).square().sum() + cov_a.trace() + cov_b.trace() - 2 * middle
    return max(float(fd), 0.0)  # round-off can leave identical sets a hair below zero


def precision_recall(real_feats, fake_feats, k: int = 3, chunk: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019): k-NN balls approximate each manifold.

    precision: share of fake samples inside some real sample's ball (radius: distance to its k-th nearest
    other real sample); recall: share of real samples inside the fake manifold, built the same way.
    """
    real, fake = _float64(real_feats), _float64(fake_feats)
    precision = _inside_manifold(fake, real, _knn_radii(real, k, chunk), chunk).mean()
    recall = _inside_manifold(real, fake, _knn_radii(fake, k, chunk), chunk).mean()
    return float(precision), float(recall)


def _float64(feats) -> torch.Tensor:
    if isinstance(feats, torch.Tensor):
        return feats.detach().cpu().double()
    return torch.as_tensor(np.asarray(feats), dtype=torch.float64)


def _psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp_min(0).sqrt()) @ vectors.T


def _knn_radii(points: torch.Tensor, k: int, chunk: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest neighbour among the others (k+1-th counting itself)."""
    if len(points) <= k:
        raise ValueError(f"k-NN radii need more than k={k} samples, got {len(points)}")
    return torch.cat([torch.cdist(points[i:i + chunk], points).kthvalue(k + 1, dim=1).values
                      for i in range(0, len(points), chunk)])


def _inside_manifold(queries: torch.Tensor, points: torch.Tensor, radii: torch.Tensor, chunk: int) -> torch.Tensor:
    return torch.cat([(torch.cdist(queries[i:i + chunk], points) <= radii).any(1)
                      for i in range(0, len(queries), chunk)]).double()
