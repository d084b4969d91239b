"""Randomly initialised stand-ins for ImageNet weights that cannot be downloaded offline (plumbing, not values)."""
from pathlib import Path


def place_random_vgg16(torch_home: Path, random_vgg16_file: Path) -> None:
    """Put the random VGG16 where torchvision looks for the ImageNet file (``$TORCH_HOME/hub/checkpoints``)."""
    checkpoints = torch_home / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True, exist_ok=True)
    (checkpoints / random_vgg16_file.name).symlink_to(random_vgg16_file)
