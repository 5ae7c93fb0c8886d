import torch

from ganclf.data.transforms import random_shift


def test_random_shift_moves_each_image_by_at_most_max_shift():
    images = torch.full((50, 1, 28, 28), -1.0)
    images[:, 0, 10, 12] = 1.0  # one lit pixel per image
    torch.manual_seed(0)
    shifted = random_shift(images, 2)
    assert shifted.shape == images.shape
    where = torch.stack([(img[0] == 1).nonzero()[0] for img in shifted])  # every lit pixel survives
    offsets = where - torch.tensor([10, 12])
    assert offsets.abs().max() <= 2
    assert len({tuple(o.tolist()) for o in offsets}) > 5  # each image its own offset
    assert ((shifted == -1) | (shifted == 1)).all()  # the uncovered border is background


def test_random_shift_keeps_content_and_zero_is_identity():
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    assert random_shift(images, 0) is images
    shifted = random_shift(images, 1)
    inner = images[:, :, 1:-1, 1:-1]  # the inner 26x26 block lies somewhere in every shifted image
    for img, s in zip(inner, shifted):
        found = any(torch.equal(img, s[:, dy:dy + 26, dx:dx + 26]) for dy in range(3) for dx in range(3))
        assert found


def test_random_shift_moves_every_channel_together_with_background_in_each():
    images = torch.full((20, 3, 16, 16), -1.0)
    images[:, :, 8, 8] = torch.tensor([1.0, 0.5, 0.0])  # one coloured pixel per image
    torch.manual_seed(0)
    shifted = random_shift(images, 2)
    assert shifted.shape == images.shape
    for img in shifted:
        lit = (img != -1).nonzero()
        assert lit[:, 0].tolist() == [0, 1, 2] and len(set(map(tuple, lit[:, 1:].tolist()))) == 1
        assert img[:, lit[0, 1], lit[0, 2]].tolist() == [1.0, 0.5, 0.0]
