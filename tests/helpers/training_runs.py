"""Helpers shared by the reliability, distributed and preflight tests.

- real training pairs (:mod:`devtools.runs`): 32x32 HR crops of the Set5 images shipped in ``tests/data`` (two
  per image) and their x4 LR made with the project's MATLAB-style bicubic ``imresize_bicubic``, written to a tmp folder;
- a tiny BebyGANModel built in process (the recipe of ``devtools/recipe.py``) and random batches for it;
- a trace hook for training *subprocesses*: a ``sitecustomize.py`` put on ``PYTHONPATH`` that, once
  ``bebygan_plugin`` is imported, records per process (rank) JSON lines: every iteration's logged losses and the
  LR paths it trained on, every checkpoint file written (after its rename), validations, digests of the model /
  optimizer / RNG state at each save and after a resume, and the logger setup. The training command itself is
  unchanged (``python bebygan_plugin/train.py ...`` or ``python -m torch.distributed.run ...``).
"""
import glob
import hashlib
import json
import os
import sys
import time
from os import path as osp

# the Set5 training pairs and run plumbing the benchmarks share live in devtools.runs; the tests reach them here too
from devtools.runs import (CROP_NAMES, CROPS, REPO, SET5_HR, TRAIN_SCRIPT, free_port, make_pairs,  # noqa: F401
                           write_options)

TRACE_ENV = 'BEBYGAN_TRACE_DIR'


def truncate(path) -> None:
    """Cut an image file after 300 bytes (``head -c 300``), or in half when it is smaller: header intact, pixel data
    cut off."""
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:min(300, len(data) // 2)])


def write_lmdb(lmdb_path: str, folder: str) -> str:
    """An LMDB of the PNG files of ``folder`` in BasicSR's layout (key = file stem, ``meta_info.txt``), written
    with the ``lmdb`` package directly, so a test can store any bytes under a key."""
    import cv2
    import lmdb
    import numpy as np

    names = sorted(os.listdir(folder))
    env = lmdb.open(lmdb_path, map_size=1 << 26)
    with env.begin(write=True) as txn, open(osp.join(lmdb_path, 'meta_info.txt'), 'w', encoding='utf-8') as meta:
        for name in names:
            with open(osp.join(folder, name), 'rb') as f:
                data = f.read()
            h, w, c = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape
            txn.put(osp.splitext(name)[0].encode('ascii'), data)
            meta.write(f'{name} ({h},{w},{c}) 1\n')
    env.close()
    return lmdb_path


def corrupt_lmdb_value(lmdb_path: str, key: str) -> None:
    """Cut the value of ``key`` in half (header intact, pixel data cut off)."""
    import lmdb

    env = lmdb.open(lmdb_path, map_size=1 << 26)
    with env.begin(write=True) as txn:
        value = txn.get(key.encode('ascii'))
        txn.put(key.encode('ascii'), value[:len(value) // 2])
    env.close()


def rename_option(opt: dict, dotted: str, new: str) -> None:
    """Rename the key ``'a.b'`` of ``opt`` to ``new`` (a typo), keeping its value."""
    *parents, leaf = dotted.split('.')
    for key in parents:
        opt = opt[key]
    opt[new] = opt.pop(leaf)


def build_model(tmp_path, **train_overrides):
    """A BebyGANModel of the tiny recipe as train_pipeline builds it, with ``train_overrides`` in its ``train``
    options and its checkpoint folders in ``tmp_path``."""
    from devtools.recipe import build_in_process, tiny_recipe

    opt = tiny_recipe('unit')
    opt['train'].update(train_overrides)
    return build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'training_states')


def batch(seed=0):
    """Two random 32x32 GT images and their 4x4-average-pooled LR (in-process unit tests)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(2, 3, 32, 32, generator=g)
    return {'gt': gt, 'lq': torch.nn.functional.avg_pool2d(gt, 4)}


# ------------------------------------------------------------------------------------------ the trace hook
SITECUSTOMIZE = f'''
import sys
sys.path.insert(0, {REPO!r})
from tests.helpers import training_runs
training_runs.install_trace_hook()
'''


def trace_env(trace_dir: str, **extra) -> dict:
    """Environment for a traced training subprocess (CPU, offline, trace hook on ``PYTHONPATH``)."""
    hook_dir = osp.join(trace_dir, 'hook')
    os.makedirs(hook_dir, exist_ok=True)
    with open(osp.join(hook_dir, 'sitecustomize.py'), 'w', encoding='utf-8') as f:
        f.write(SITECUSTOMIZE)
    env = dict(os.environ)
    env.update({'PYTHONPATH': os.pathsep.join([hook_dir, REPO, env.get('PYTHONPATH', '')]), TRACE_ENV: trace_dir,
                'BEBYGAN_OFFLINE': '1', 'CUDA_VISIBLE_DEVICES': '', 'OMP_NUM_THREADS': '1',
                'PYTHONUNBUFFERED': '1', 'TORCH_HOME': osp.join(trace_dir, 'torch_home')})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def read_trace(trace_dir: str, rank: int = None) -> list:
    """All events (optionally of one rank), each with ``rank`` and ``pid``, in file order per process."""
    events = []
    for path in sorted(glob.glob(osp.join(trace_dir, 'trace-*.jsonl'))):
        with open(path, encoding='utf-8') as f:
            for line in f:
                if line.endswith('\n'):
                    event = json.loads(line)
                    if rank is None or event['rank'] == rank:
                        events.append(event)
    return events


def install_trace_hook() -> None:
    """Called by the ``sitecustomize`` of traced subprocesses: instrument ``bebygan_plugin`` once imported."""
    if not os.environ.get(TRACE_ENV):
        return
    import importlib.abc
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            if fullname != 'bebygan_plugin':
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            original = spec.loader.exec_module

            def exec_module(module):
                original(module)
                _instrument()

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Finder())


def _save_kind(tmp_name: str) -> str:
    """``net_g`` for ``.net_g_20.pth.tmp-<pid>``, ``state`` for ``.20.state.tmp-<pid>``."""
    final = tmp_name.lstrip('.').split('.tmp-')[0]
    stem, ext = osp.splitext(final)
    return 'state' if ext == '.state' else stem.rpartition('_')[0]


def _emit(event: dict) -> None:
    rank = int(os.environ.get('RANK', '0'))
    event.update(rank=rank, pid=os.getpid(), t=time.time())
    path = osp.join(os.environ[TRACE_ENV], f'trace-rank{rank}-pid{os.getpid()}.jsonl')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.write(fd, (json.dumps(event) + '\n').encode())
    finally:
        os.close(fd)


def state_digest(model) -> dict:
    """SHA-1 digests of the networks (incl. EMA), optimizer + scheduler states and the torch RNG state."""
    import torch

    def digest_tensors(tensors):
        h = hashlib.sha1()
        for t in tensors:
            h.update(t.detach().cpu().contiguous().numpy().tobytes())
        return h.hexdigest()

    nets = [net for net in (model.net_g, model.net_d, getattr(model, 'net_g_ema', None)) if net is not None]
    opt_tensors = []
    for optimizer in model.optimizers:
        for state in optimizer.state_dict()['state'].values():
            opt_tensors += [v for v in state.values() if torch.is_tensor(v)]
    return {'nets': digest_tensors([t for n in nets for t in model.get_bare_model(n).state_dict().values()]),
            'optim': digest_tensors(opt_tensors),
            'sched': [s.last_epoch for s in model.schedulers],
            'rng': digest_tensors([torch.get_rng_state()])}


def _process_group() -> dict:
    """Rank, world size and the rendezvous address this process trained with (``rank`` -1 without DDP)."""
    import torch.distributed as dist

    initialized = dist.is_available() and dist.is_initialized()
    return {'dist_rank': dist.get_rank() if initialized else -1,
            'world_size': dist.get_world_size() if initialized else 1,
            **{k: os.environ.get(k) for k in ('MASTER_ADDR', 'MASTER_PORT', 'LOCAL_RANK')}}


def _raise_out_of_memory(module, args):
    import torch

    raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB (simulated by the trace hook)')


def _instrument() -> None:
    """Wrap the model and the checkpoint writer to emit trace events (env read at call time, so forks may differ).

    ``BEBYGAN_TRACE_BLOCK_SAVE=<kind>:<n>`` (kind ``net_g``, ``net_d`` or ``state``) makes the process hang in its
    n-th save of that kind, after the temporary file is written and before fsync + rename, announcing it with a
    blocking ``fsync`` event, so a test can kill it in the middle of that save without any timing assumption.
    ``BEBYGAN_TRACE_PAUSE_SAVE=<kind>:<n>:<seconds>`` pauses there for that long instead (a ``pausing`` event), and
    the save then completes. ``BEBYGAN_TRACE_OOM_AT=<iter>``: G's forward raises ``torch.OutOfMemoryError`` from
    that iteration on.
    """
    import logging

    from bebygan_plugin.models.bebygan_model import BebyGANModel
    from bebygan_plugin.files import atomic, checkpoint

    if getattr(BebyGANModel, '_traced', False):
        return
    feed, optimize = BebyGANModel.feed_data, BebyGANModel.optimize_parameters
    validate, save_state = BebyGANModel.nondist_validation, BebyGANModel.save_training_state
    resume, atomic_save, fsync = BebyGANModel.resume_training, checkpoint.atomic_torch_save, atomic._fsync

    def feed_data(self, data):
        self._trace_paths = list(data.get('lq_path', []))
        return feed(self, data)

    def optimize_parameters(self, current_iter):
        if os.environ.get('BEBYGAN_TRACE_OOM_AT') == str(current_iter):  # as CUDA would in G's forward
            self.net_g.register_forward_pre_hook(_raise_out_of_memory)
        optimize(self, current_iter)
        if not getattr(self, '_trace_logger_done', False):
            logger = logging.getLogger('basicsr')
            _emit({'event': 'logger', 'level': logger.level,
                   'file_handlers': [type(h).__name__ for h in logger.handlers
                                     if isinstance(h, logging.FileHandler)]})
            _emit({'event': 'process_group', **_process_group()})
            self._trace_logger_done = True
        pool = getattr(self, 'pair_pool', None)  # real-world models: how full the training-pair pool is
        _emit({'event': 'iter', 'iter': current_iter, 'losses': dict(self.log_dict),
               'lq_paths': [osp.basename(p) for p in getattr(self, '_trace_paths', [])],
               'pool_filled': None if pool is None else pool.filled})

    def nondist_validation(self, dataloader, current_iter, tb_logger, save_img):
        _emit({'event': 'validation', 'iter': current_iter})
        return validate(self, dataloader, current_iter, tb_logger, save_img)

    def save_training_state(self, epoch, current_iter):
        if current_iter != -1:
            _emit({'event': 'digest_at_save', 'iter': current_iter, 'digest': state_digest(self)})
        return save_state(self, epoch, current_iter)

    def resume_training(self, resume_state):
        resume(self, resume_state)
        _emit({'event': 'resume', 'iter': resume_state['iter'], 'digest': state_digest(self)})

    def atomic_torch_save(obj, path):
        atomic_save(obj, path)
        _emit({'event': 'save', 'path': osp.abspath(path)})

    fsync_counts = {}

    def traced_fsync(fd):
        path = os.readlink(f'/proc/self/fd/{fd}')
        kind = _save_kind(osp.basename(path))
        fsync_counts[kind] = fsync_counts.get(kind, 0) + 1
        block = os.environ.get('BEBYGAN_TRACE_BLOCK_SAVE', '')  # '<kind>:<n>': hang in the n-th save of that kind
        blocking = block == f'{kind}:{fsync_counts[kind]}'
        pause = os.environ.get('BEBYGAN_TRACE_PAUSE_SAVE', '').rpartition(':')  # '<kind>:<n>:<seconds>'
        pausing = pause[0] == f'{kind}:{fsync_counts[kind]}'
        _emit({'event': 'fsync', 'path': path, 'blocking': blocking, 'pausing': pausing})
        if blocking:
            time.sleep(3600)  # the test kills the process here: temporary file written, not yet renamed
        if pausing:
            time.sleep(float(pause[2]))  # the test signals the process here; the save then goes on
        fsync(fd)

    BebyGANModel.feed_data, BebyGANModel.optimize_parameters = feed_data, optimize_parameters
    BebyGANModel.nondist_validation, BebyGANModel.save_training_state = nondist_validation, save_training_state
    BebyGANModel.resume_training = resume_training
    checkpoint.atomic_torch_save, atomic._fsync = atomic_torch_save, traced_fsync
    BebyGANModel._traced = True

