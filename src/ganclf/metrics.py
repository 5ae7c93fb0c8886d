"""Classification metrics as pure functions of labels and predictions."""
import numpy as np
from sklearn.metrics import confusion_matrix


def classification_metrics(y_true, y_pred, num_classes: int) -> dict:
    """Accuracy, per-class accuracy (recall) and the confusion matrix (rows: true, columns: predicted)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    cm = confusion_matrix(y_true, y_pred, labels=np.arange(num_classes))
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    return {"accuracy": float((y_true == y_pred).mean()), "errors": int((y_true != y_pred).sum()),
            "per_class_accuracy": per_class.round(4).tolist(), "confusion_matrix": cm.tolist()}
