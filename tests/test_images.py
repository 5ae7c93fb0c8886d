import numpy as np
import pytest
from PIL import Image

from ganclf.data import DataError
from ganclf.data.images import load_image, load_resized


def test_load_image_has_a_channel_axis(tmp_path):
    digit = np.zeros((60, 40), np.uint8)
    digit[10:50, 15:25] = 255
    Image.fromarray(digit).save(tmp_path / "one.png")
    pixels = load_image(tmp_path / "one.png")
    assert pixels.shape == (1, 28, 28) and pixels.max() > 200


def test_load_resized_fits_the_dataset_shape(tmp_path):
    rgb = np.zeros((30, 50, 3), np.uint8)
    rgb[..., 0] = 200
    Image.fromarray(rgb).save(tmp_path / "red.png")
    Image.fromarray(np.full((40, 40), 90, np.uint8)).save(tmp_path / "grey.png")
    assert load_resized(tmp_path / "red.png", (3, 32, 32))[:, 5, 5].tolist() == [200, 0, 0]
    assert load_resized(tmp_path / "red.png", (1, 16, 16)).shape == (1, 16, 16)
    assert load_resized(tmp_path / "red.png", (1, 16, 16))[0, 0, 0] == round(0.299 * 200)
    assert load_resized(tmp_path / "grey.png", (3, 28, 28))[:, 3, 3].tolist() == [90, 90, 90]
    (tmp_path / "junk.png").write_bytes(b"junk")
    with pytest.raises(DataError, match="junk.png: not an image"):
        load_resized(tmp_path / "junk.png", (3, 32, 32))
