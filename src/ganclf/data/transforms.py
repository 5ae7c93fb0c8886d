"""Random image transforms for training (batched, on the images' device, from torch's global random stream)."""
import torch
import torch.nn.functional as F


def random_shift(images, max_shift: int):
    """Translate each image of an (N, C, H, W) batch in [-1, 1] by its own whole-pixel offset in
    [-max_shift, max_shift] along each axis; the uncovered border is background (-1 in every channel)."""
    if max_shift <= 0:
        return images
    n, c, h, w = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=-1.0)
    dy, dx = torch.randint(0, 2 * max_shift + 1, (2, n, 1), device=images.device)
    rows = torch.arange(h, device=images.device) + dy  # (N, H): source rows of each image
    cols = torch.arange(w, device=images.device) + dx
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
