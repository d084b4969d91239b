"""The one place where bebygan-plugin adapts BasicSR 1.4.2 to current torch / torchvision.

A top-level module that imports nothing heavy, so the import hook (4) costs nothing in processes that never import
basicsr. ``import bebygan_plugin`` calls :func:`apply`; every patch is idempotent and edits no file on disk.

1. ``torchvision.transforms.functional_tensor`` was removed in torchvision 0.17, but
   ``basicsr.data.degradations`` imports ``rgb_to_grayscale`` from it, so ``import basicsr`` fails. We alias the
   module to its successor ``torchvision.transforms._functional_tensor`` before basicsr is imported.
2. ``torch.load`` defaults to ``weights_only=True`` since torch 2.6. BasicSR's scheduler states hold a
   ``collections.Counter``; we allow that one type, so resume states load safely without unpickling code.
3. ``basicsr.train.load_resume_state`` maps every tensor to ``torch.cuda.current_device()``, which raises on a
   CPU-only machine. We replace it with :func:`load_resume_state`, which maps to the run's device
   (``num_gpu: 0`` or no CUDA -> CPU). ``basicsr.train.train_pipeline`` looks the function up at call time, so
   ``bebygan-train`` / ``python bebygan_plugin/train.py`` resume on CPU and GPU alike.
4. BasicSR's own ``basicsr/train.py`` (run from a BasicSR checkout) only scans its own folders for components.
   ``pip install`` puts ``bebygan_plugin_autoload.pth`` in site-packages, which calls
   :func:`install_import_hook` at start-up: a finder on ``sys.meta_path`` that, on the first ``import basicsr``,
   applies (1), lets basicsr load, imports ``bebygan_plugin`` (registration), and removes itself. Set
   ``BEBYGAN_NO_AUTOLOAD=1`` to disable it. (That script defines its own resume function, so (3) does not reach it:
   resume on CPU through ``bebygan-train``.)
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
    """Patch (3): drop-in for ``basicsr.train.load_resume_state`` that also works without CUDA."""
    import torch
    from basicsr.utils import check_resume

    from bebygan_plugin.utils.resume import find_resume_state_path

    path = find_resume_state_path(opt)
    if path is None:
        return None
    state = torch.load(path, map_location=resume_map_location(opt), weights_only=True)
    check_resume(opt, state['iter'])
    return state


def apply() -> None:
    """Apply patches (1)-(3); called by ``import bebygan_plugin``."""
    alias_functional_tensor()
    allow_basicsr_state_types()
    import basicsr.train

    basicsr.train.load_resume_state = load_resume_state


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
