"""Real-ESRGAN's training-pair pool: a queue of past (LQ, GT) pairs that mixes degradations across batches (every
image of one synthesised batch shares its resize scale and interpolation mode)."""
import torch


class TrainingPairPool:
    """``exchange(lq, gt) -> (lq, gt)``: while the pool fills, each batch is stored and trained on as it is; once it
    holds ``size`` pairs, the pool is shuffled (``torch.randperm`` on torch's CPU generator, as BasicSR), its first
    ``b`` pairs are returned and the new batch takes their place. As BasicSR's ``RealESRGANModel._dequeue_and_enqueue``,
    on the batch's device without reading it. ``size`` must be a multiple of the batch size. The pool lives in memory
    only: a resumed run starts with an empty one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lq = self.gt = None
        self.filled = 0

    @torch.no_grad()
    def exchange(self, lq: torch.Tensor, gt: torch.Tensor) -> tuple:
        b = lq.size(0)
        if self.lq is None:
            if self.size % b:
                raise ValueError(f'queue_size {self.size} must be a multiple of the batch size {b} '
                                 '(datasets.train.batch_size_per_gpu)')
            self.lq = lq.new_zeros((self.size, *lq.shape[1:]))
            self.gt = gt.new_zeros((self.size, *gt.shape[1:]))
        if self.filled < self.size:
            self.lq[self.filled:self.filled + b] = lq
            self.gt[self.filled:self.filled + b] = gt
            self.filled += b
            return lq, gt
        order = torch.randperm(self.size).to(self.lq.device, non_blocking=True)
        self.lq, self.gt = self.lq.index_select(0, order), self.gt.index_select(0, order)
        out_lq, out_gt = self.lq[:b].clone(), self.gt[:b].clone()
        self.lq[:b], self.gt[:b] = lq, gt
        return out_lq, out_gt
