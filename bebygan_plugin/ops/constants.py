"""Small constant tensors the ops need on the device (resize matrices, patch indices and weights, luma weights), made
once per device and dtype and reused. A training step then copies nothing from host memory (on CUDA a copy from
pageable memory waits until the device has finished its queue: a host sync), and ``torch.compile`` sees them as
fixed inputs of its graphs. The cached tensors are shared: never modify one in place."""
from typing import Callable, Dict, Hashable, Optional

import torch

_CACHE: Dict[tuple, torch.Tensor] = {}


def device_constant(key: Hashable, build: Callable[[], torch.Tensor], device, dtype: Optional[torch.dtype] = None
                    ) -> torch.Tensor:
    """``build()`` (a tensor on the CPU) on ``device`` in ``dtype`` (default: its own), built once per ``key``,
    device and dtype."""
    full_key = (key, torch.device(device), dtype)
    tensor = _CACHE.get(full_key)
    if tensor is None:
        built = build()
        tensor = _CACHE[full_key] = built.to(device=device, dtype=dtype or built.dtype)
    return tensor
