"""The one place where bebygan-plugin adapts BasicSR 1.4.2 to current torch / torchvision.

A top-level module that imports nothing heavy, so the import hook (4) costs nothing in processes that never import
basicsr. ``import bebygan_plugin`` calls :func:`apply`; every patch is idempotent and edits no file on disk.

1. ``torchvision.transforms.functional_tensor`` was removed in torchvision 0.17, but
   ``basicsr.data.degradations`` imports ``rgb_to_grayscale`` from it, so ``import basicsr`` fails. We alias the
   module to its successor ``torchvision.transforms._functional_tensor`` before basicsr is imported.
2. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6. BasicSR's scheduler states hold a
   ``collections.Counter``; we allow that one type, so resume states load safely without unpickling code.
3. ``basicsr.train.load_resume_state`` maps every tensor to ``torch.cuda.current_device()``, which raises on a
   CPU-only machine, and loads whatever newest ``.state`` file it finds. We replace it with
   :func:`load_resume_state`, which maps to the run's device (``num_gpu: 0`` or no CUDA -> CPU) and, with
   ``--auto_resume``, takes the newest *complete* checkpoint, skipping broken ones with a warning
   (``bebygan_plugin.training.resume``). ``basicsr.train.train_pipeline`` looks the function up at call time, so
   ``bebygan-train`` / ``python bebygan_plugin/train.py`` resume on CPU and GPU alike.
4. BasicSR's own ``basicsr/train.py`` (run from a BasicSR checkout) only scans its own folders for components.
   ``pip install`` puts ``bebygan_plugin_autoload.pth`` in site-packages, which calls
   :func:`install_import_hook` at start-up: a finder on ``sys.meta_path`` that, on the first ``import basicsr``,
   applies (1), lets basicsr load, imports ``bebygan_plugin`` (registration), and removes itself. Set
   ``BEBYGAN_NO_AUTOLOAD=1`` to disable it. (That script defines its own resume function, so (3) does not reach it:
   resume on CPU through ``bebygan-train``.)
5. Distributed training (``--launcher pytorch`` under ``torch.distributed.run``, or ``slurm``): BasicSR's
   ``init_dist`` always uses NCCL and calls ``torch.cuda.set_device(rank % torch.cuda.device_count())``
   (ZeroDivisionError without a GPU), and ``BaseModel.model_to_device`` wraps DDP with
   ``device_ids=[torch.cuda.current_device()]``. :func:`init_dist` picks the backend from the device: NCCL when
   the run uses CUDA (``num_gpu`` not 0 and a GPU visible), gloo otherwise, unless the option file says
   ``dist_params: {backend: ...}``; it binds each process to GPU ``LOCAL_RANK`` only when CUDA is used.
   :func:`model_to_device` wraps CPU models in DDP without ``device_ids`` and leaves GPU runs to BasicSR.
6. Corrupt images: BasicSR's ``imfrombytes`` returns None for bytes it cannot decode, and every dataset then fails
   with ``'NoneType' object has no attribute 'astype'``, naming no file. :func:`patch_corrupt_images` installs
   ``bebygan_plugin.data.corrupt_images``: ``imfrombytes`` (in every loaded basicsr module that imported it) raises
   an error naming the file or LMDB key that ``FileClient.get`` read last, and the ``__getitem__`` of every dataset
   class registered at that point names the dataset and honours its ``skip_corrupt_images`` option.
7. ``prefetch_mode: cpu``: BasicSR's ``PrefetchGenerator`` thread dies on a loader error and the training loop then
   waits for the next batch forever. :func:`prefetch_run` / :func:`prefetch_next` hand the error over to the loop,
   which raises it.
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import sys


def alias_functional_tensor() -> None:
    """Patch (1): make ``torchvision.transforms.functional_tensor`` importable again."""
    name = 'torchvision.transforms.functional_tensor'
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except ImportError:
        sys.modules[name] = importlib.import_module('torchvision.transforms._functional_tensor')


def allow_basicsr_state_types() -> None:
    """Patch (2): let ``torch.load(weights_only=True)`` read BasicSR scheduler states."""
    import collections

    import torch

    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:
        add_safe_globals([collections.Counter])


def resume_map_location(opt: dict):
    """Device to load a resume state onto: the current CUDA device for GPU runs, else the CPU."""
    import torch

    if opt.get('num_gpu', 0) != 0 and torch.cuda.is_available():
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def load_resume_state(opt: dict):
    """Patch (3): drop-in for ``basicsr.train.load_resume_state``: CPU-safe, newest complete checkpoint."""
    from basicsr.utils import check_resume

    from bebygan_plugin.training.resume import load_resume_state as load_checked

    state = load_checked(opt, resume_map_location(opt))
    if state is None:
        return None
    check_resume(opt, state['iter'])
    return state


DIST_BACKENDS = ('nccl', 'gloo', 'mpi')


def _options_from_argv() -> dict:
    """The option file named by ``-opt`` on the command line (``{}`` if there is none or it does not parse)."""
    import yaml

    argv = sys.argv
    for flag in ('-opt', '--opt'):
        if flag in argv[:-1]:
            try:
                with open(argv[argv.index(flag) + 1], encoding='utf-8') as f:
                    opt = yaml.safe_load(f)
            except (OSError, yaml.YAMLError):
                return {}
            return opt if isinstance(opt, dict) else {}
    return {}


def uses_cuda(num_gpu) -> bool:
    """Whether a run with this ``num_gpu`` option computes on CUDA (BasicSR: ``num_gpu != 0``; 'auto' = if any)."""
    import torch

    return num_gpu != 0 and torch.cuda.is_available()


def dist_backend(opt: dict) -> str:
    """``dist_params.backend`` if the options set it, else NCCL for CUDA runs and gloo for CPU runs."""
    backend = (opt.get('dist_params') or {}).get('backend')
    return backend or ('nccl' if uses_cuda(opt.get('num_gpu', 'auto')) else 'gloo')


def init_dist(launcher: str, backend: str = None, port: int = None, **kwargs) -> None:
    """Patch (5): ``basicsr.utils.dist_util.init_dist`` for GPU (NCCL) and CPU (gloo) processes alike.

    BasicSR passes no options for ``--launcher pytorch``, so ``num_gpu`` and ``dist_params.backend`` are read from
    the option file named by ``-opt`` on the command line; an explicit ``backend`` argument wins.
    """
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp

    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    opt = _options_from_argv()
    if backend is not None:
        opt['dist_params'] = dict(opt.get('dist_params') or {}, backend=backend)
    backend = dist_backend(opt)
    if backend not in DIST_BACKENDS:
        raise ValueError(f'dist_params.backend must be one of {DIST_BACKENDS}, got {backend!r}')
    if launcher == 'slurm':
        import subprocess

        proc_id, ntasks = int(os.environ['SLURM_PROCID']), int(os.environ['SLURM_NTASKS'])
        node_list = os.environ['SLURM_NODELIST']
        os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
        os.environ['MASTER_PORT'] = str(port) if port is not None else os.environ.get('MASTER_PORT', '29500')
        os.environ['WORLD_SIZE'], os.environ['RANK'] = str(ntasks), str(proc_id)
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', str(proc_id)))
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher}')
    if uses_cuda(opt.get('num_gpu', 'auto')):
        local_rank = int(os.environ.get('LOCAL_RANK', os.environ['RANK']))
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
    elif backend == 'nccl':
        raise RuntimeError('dist_params.backend: nccl needs CUDA GPUs, and this run computes on the CPU '
                           '(num_gpu: 0 or no GPU visible); use backend: gloo or remove dist_params.backend')
    dist.init_process_group(backend=backend, **kwargs)


def model_to_device(self, net):
    """Patch (5): ``BaseModel.model_to_device`` that also wraps CPU models in DistributedDataParallel."""
    if self.opt.get('dist') and self.device.type != 'cuda':
        from torch.nn.parallel import DistributedDataParallel

        return DistributedDataParallel(net.to(self.device),
                                       find_unused_parameters=self.opt.get('find_unused_parameters', False))
    return model_to_device.basicsr_original(self, net)


def patch_distributed() -> None:
    """Patch (5): install :func:`init_dist` and :func:`model_to_device` in BasicSR."""
    import basicsr.utils.dist_util
    import basicsr.utils.options
    from basicsr.models.base_model import BaseModel

    basicsr.utils.dist_util.init_dist = init_dist
    basicsr.utils.options.init_dist = init_dist
    if BaseModel.model_to_device is not model_to_device:
        model_to_device.basicsr_original = BaseModel.model_to_device
        BaseModel.model_to_device = model_to_device


def patch_corrupt_images() -> None:
    """Patch (6): name (or skip) undecodable images in every BasicSR dataset."""
    import basicsr.data  # noqa: F401  (registers BasicSR's datasets)
    import basicsr.utils.img_util
    from basicsr.utils.file_client import FileClient
    from basicsr.utils.registry import DATASET_REGISTRY

    from bebygan_plugin.data import corrupt_images

    original = basicsr.utils.img_util.imfrombytes
    if original is not corrupt_images.imfrombytes:
        for name, module in list(sys.modules.items()):
            if name.split('.')[0] == 'basicsr' and getattr(module, 'imfrombytes', None) is original:
                module.imfrombytes = corrupt_images.imfrombytes
    if not hasattr(FileClient.get, 'basicsr_original'):
        FileClient.get = corrupt_images.remember_read(FileClient.get)
    for cls in DATASET_REGISTRY._obj_map.values():
        getitem = vars(cls).get('__getitem__')
        if getitem is not None and not hasattr(getitem, 'basicsr_original'):
            cls.__getitem__ = corrupt_images.skipping_getitem(getitem)


class _LoaderError:
    """What the prefetch thread hands over instead of a batch when the loader raised."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch_run(self) -> None:
    """Patch (7): ``PrefetchGenerator.run`` that hands a loader error over to the training loop."""
    try:
        for item in self.generator:
            self.queue.put(item)
    except Exception as err:  # noqa: BLE001 - re-raised in the training loop by prefetch_next
        self.queue.put(_LoaderError(err))
        return
    self.queue.put(None)


def prefetch_next(self):
    """Patch (7): ``PrefetchGenerator.__next__`` that raises the loader's error."""
    item = self.queue.get()
    if item is None:
        raise StopIteration
    if isinstance(item, _LoaderError):
        raise item.error
    return item


def apply() -> None:
    """Apply patches (1)-(3) and (5)-(7); called by ``import bebygan_plugin``."""
    alias_functional_tensor()
    allow_basicsr_state_types()
    import basicsr.train
    from basicsr.data.prefetch_dataloader import PrefetchGenerator

    basicsr.train.load_resume_state = load_resume_state
    patch_distributed()
    patch_corrupt_images()
    PrefetchGenerator.run, PrefetchGenerator.__next__ = prefetch_run, prefetch_next


class _LoadPluginWithBasicsr(importlib.abc.Loader):
    """Wraps basicsr's own loader: alias (1), basicsr itself, then the plugin's registrations."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        alias_functional_tensor()
        self.loader.exec_module(module)
        importlib.import_module('bebygan_plugin')


class BasicsrImportHook(importlib.abc.MetaPathFinder):
    """Patch (4): intercepts the first ``import basicsr`` of a process."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'basicsr':
            return None
        uninstall_import_hook()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoadPluginWithBasicsr(spec.loader)
        return spec


def install_import_hook() -> None:
    if os.environ.get('BEBYGAN_NO_AUTOLOAD') or 'basicsr' in sys.modules:
        return
    if not any(isinstance(finder, BasicsrImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, BasicsrImportHook())


def uninstall_import_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, BasicsrImportHook)]
