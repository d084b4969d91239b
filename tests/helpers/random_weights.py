"""Randomly initialised stand-ins for ImageNet weights that cannot be downloaded offline (plumbing, not values)."""
from pathlib import Path


def place_random_vgg16(torch_home: Path, random_vgg16_file: Path) -> None:
    """Put the random VGG16 where torchvision looks for the ImageNet file (``$TORCH_HOME/hub/checkpoints``)."""
    checkpoints = torch_home / 'hub' / 'checkpoints'
    checkpoints.mkdir(parents=True, exist_ok=True)
    (checkpoints / random_vgg16_file.name).symlink_to(random_vgg16_file)


def use_random_vgg19(monkeypatch) -> list:
    """Make BasicSR's ``VGGFeatureExtractor`` (``PerceptualLoss``) build a randomly initialised VGG19 instead of
    loading ImageNet weights: only the convolutional part (``features``), which is all it keeps, so no 548 MB file
    is written or read. Returns the list that receives each ``features`` module built."""
    import types

    import torchvision
    from basicsr.archs import vgg_arch

    built = []

    def vgg19(**_options):  # BasicSR calls vgg19(pretrained=True)
        built.append(torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs['E']))
        return types.SimpleNamespace(features=built[-1])

    monkeypatch.setattr(vgg_arch, 'VGG_PRETRAIN_PATH', '/nonexistent/vgg19.pth')
    monkeypatch.setattr(vgg_arch, 'vgg', types.SimpleNamespace(vgg19=vgg19))
    return built
