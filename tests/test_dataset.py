import pytest
import torch

from ganclf.data import DataError, Dataset, to_float


def tiny(c=3, h=8, w=8, **fields):
    images = torch.randint(0, 256, (4, c, h, w), dtype=torch.uint8)
    return Dataset("tiny", ("a", "b"), images, torch.tensor([0, 1, 0, 1]), images[:2], torch.tensor([0, 1]), **fields)


def test_shape_and_empty_unlabelled_set():
    data = tiny(c=3, h=8, w=6)
    assert data.shape == (3, 8, 6)
    assert data.unlabelled_images.shape == (0, 3, 8, 6) and data.unlabelled_images.dtype == torch.uint8


def test_mismatched_image_shapes_are_refused():
    with pytest.raises(DataError, match="unlabelled_images"):
        tiny(unlabelled_images=torch.zeros(2, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(DataError, match="train_images"):
        Dataset("flat", ("a",), torch.zeros(2, 28, 28, dtype=torch.uint8), torch.zeros(2), torch.zeros(1, 28, 28),
                torch.zeros(1))


def test_to_float_scales_without_adding_an_axis():
    images = torch.tensor([0, 255, 128], dtype=torch.uint8).view(1, 3, 1, 1)
    out = to_float(images)
    assert out.shape == (1, 3, 1, 1)
    assert out.flatten().tolist() == pytest.approx([-1.0, 1.0, 128 / 127.5 - 1], abs=1e-6)
