"""Registers every `*_arch.py` module of this folder in BasicSR's registries on import."""
from os import path as osp

from ..registration import import_modules_with_suffix

_modules = import_modules_with_suffix(__name__, osp.dirname(__file__), '_arch')
