"""Checks written from the paper's equations, shared by several tests."""
import torch


def assert_buddies_come_from_elsewhere(index: torch.Tensor, num_patches: int, min_other: float = 0.25,
                                      min_coarser: float = 0.05) -> None:
    """The data are not trivial for the search: a good share of the buddies are other GT patches than the own one,
    and some come from the coarser pyramid levels (a search returning the own patch fails here)."""
    other = (index != torch.arange(num_patches)).double().mean().item()
    coarser = (index >= num_patches).double().mean().item()
    assert other >= min_other and coarser >= min_coarser, (f'{other:.0%} of the buddies are other patches, '
                                                           f'{coarser:.0%} from coarser levels')
