"""The ``.pth`` import hook that lets BasicSR's own entry points find the plugin's components.

BasicSR's own ``basicsr/train.py`` (run from a BasicSR checkout) only scans its own folders for components.
``pip install`` puts ``bebygan_plugin_autoload.pth`` in site-packages; at interpreter start-up it calls
:func:`install_import_hook`, which puts a finder on ``sys.meta_path``. On the first ``import basicsr`` of the
process the finder removes itself, makes ``torchvision.transforms.functional_tensor`` importable again
(:func:`alias_torchvision_functional_tensor`, patch 1 of :mod:`bebygan_plugin.compat`: without it ``import
basicsr`` fails on torchvision >= 0.17), lets basicsr load, then imports ``bebygan_plugin`` (which applies the
other patches and registers the components). Set ``BEBYGAN_NO_AUTOLOAD=1`` to disable it.

This module imports only the standard library, and nothing of ``bebygan_plugin``, torch or basicsr until basicsr
is imported, so the hook costs nothing in processes that never import basicsr, and there is no import circle: the
package imports the alias from here, never the other way round.
"""
import importlib
import importlib.abc
import importlib.machinery
import os
import sys


def alias_torchvision_functional_tensor() -> None:
    """Make ``torchvision.transforms.functional_tensor`` (removed in torchvision 0.17, imported by
    ``basicsr.data.degradations``) importable again, as its successor ``torchvision.transforms._functional_tensor``."""
    name = 'torchvision.transforms.functional_tensor'
    if name in sys.modules:
        return
    try:
        importlib.import_module(name)
    except ImportError:
        sys.modules[name] = importlib.import_module('torchvision.transforms._functional_tensor')


class _LoadPluginWithBasicsr(importlib.abc.Loader):
    """Wraps basicsr's own loader: the alias, basicsr itself, then the plugin (patches and registrations)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        alias_torchvision_functional_tensor()
        self.loader.exec_module(module)
        importlib.import_module('bebygan_plugin')


class BasicsrImportHook(importlib.abc.MetaPathFinder):
    """Intercepts the first ``import basicsr`` of a process."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != 'basicsr':
            return None
        uninstall_import_hook()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoadPluginWithBasicsr(spec.loader)
        return spec


def install_import_hook() -> None:
    """Put :class:`BasicsrImportHook` on ``sys.meta_path`` (once; not when basicsr is already imported or
    ``BEBYGAN_NO_AUTOLOAD`` is set)."""
    if os.environ.get('BEBYGAN_NO_AUTOLOAD') or 'basicsr' in sys.modules:
        return
    if not any(isinstance(finder, BasicsrImportHook) for finder in sys.meta_path):
        sys.meta_path.insert(0, BasicsrImportHook())


def uninstall_import_hook() -> None:
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, BasicsrImportHook)]
