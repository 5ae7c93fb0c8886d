"""The figures a run and a study draw."""
import warnings
from ganclf.report.figures import plot_history
def test_a_panel_with_nothing_recorded_says_so_without_a_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_history([{"epoch": 1, "train_loss": 0.5}, {"epoch": 2, "train_loss": 0.4}], tmp_path / "c.png",
                     {"loss": ("train_loss",), "accuracy": ("val_acc",)}, log_scale=("accuracy",))
    assert (tmp_path / "c.png").stat().st_size > 0
