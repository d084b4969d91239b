"""Auto-import of a sub-package's modules so their ``@*_REGISTRY.register()`` decorators run (BasicSR style)."""
import importlib
import pkgutil
from types import ModuleType
from typing import List


def import_modules_with_suffix(package: str, package_dir: str, suffix: str) -> List[ModuleType]:
    """Import every module ``<package>.<name>`` in ``package_dir`` whose name ends with ``suffix``."""
    names = sorted(info.name for info in pkgutil.iter_modules([package_dir]) if info.name.endswith(suffix))
    return [importlib.import_module(f'{package}.{name}') for name in names]
