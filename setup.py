"""bebygan-plugin: Best-Buddy GAN (Beby-GAN) x4 super-resolution as a BasicSR plugin."""
import os
import platform
import sys

PYTHON_REQUIRES = '>=3.9,<3.13'
if sys.version_info >= (3, 13):  # before pip collects any dependency (a wheel's Requires-Python is checked by pip)
    sys.exit(f'bebygan-plugin needs Python 3.9 to 3.12, and this is Python {platform.python_version()}: its '
             'dependency basicsr==1.4.2 cannot be built on Python 3.13 or newer (BasicSR issue #749). Install it '
             'with Python 3.11 or 3.12, e.g. in a virtual environment: '
             'python3.11 -m venv .venv && . .venv/bin/activate')

from setuptools import find_packages, setup  # noqa: E402
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
AUTOLOAD_PTH = 'bebygan_plugin_autoload.pth'
DEMO_RECIPE = 'train_BebyGAN_x4.yml'  # shipped in the wheel for bebygan-demo (bebygan_plugin/demo.py)


class BuildPyWithAutoload(build_py):
    """``pip install .``: also place ``bebygan_plugin_autoload.pth`` at the wheel's root, i.e. in site-packages, and
    the recipe YAML in the package.

    The .pth lets BasicSR's own entry points resolve the plugin's names (see ``bebygan_autoload``).
    """

    def run(self):
        super().run()
        for source, target in self._extra_files():
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target, preserve_mode=False)

    def _extra_files(self):
        """The .pth hook at the wheel's root, and the recipe YAML that ``bebygan-demo`` derives its stage 2 from
        (``options/`` is not a package) in ``bebygan_plugin/recipes/``."""
        return [(os.path.join(HERE, AUTOLOAD_PTH), os.path.join(self.build_lib, AUTOLOAD_PTH)),
                (os.path.join(HERE, 'options', DEMO_RECIPE),
                 os.path.join(self.build_lib, 'bebygan_plugin', 'recipes', DEMO_RECIPE))]

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [target for _, target in self._extra_files()]


class EditableWheelWithAutoload(editable_wheel):
    """``pip install -e .``: the same .pth in the editable wheel.

    setuptools (checked up to 84) has no public way to add a file at the root of an editable wheel: ``build_py``'s
    outputs are not copied into it (the wheel maps the package to the source tree instead), and ``data_files`` go
    to the data scheme (``sys.prefix``), not to site-packages. ``_install_namespaces(unpacked_dir, ...)`` is the one
    step that writes into the unpacked wheel before it is zipped with its RECORD (so pip also uninstalls the file);
    it is extended here, and only here. Should a setuptools release drop that method, the build says so and the
    editable install works without the hook (``import bebygan_plugin`` still registers everything; only BasicSR's
    own ``basicsr/train.py`` then does not find the plugin's names by itself).
    """

    def _install_namespaces(self, installation_dir, pth_prefix):
        super()._install_namespaces(installation_dir, pth_prefix)
        self.copy_file(os.path.join(HERE, AUTOLOAD_PTH), os.path.join(installation_dir, AUTOLOAD_PTH))

    def run(self):
        if not hasattr(editable_wheel, '_install_namespaces'):
            self.warn(f'this setuptools has no editable_wheel._install_namespaces: {AUTOLOAD_PTH} is not installed, '
                      'so BasicSR\'s own entry points will not load the plugin by themselves')
        super().run()


def read(name):
    with open(os.path.join(HERE, name), encoding='utf-8') as f:
        return f.read()


setup(
    name='bebygan-plugin',
    version='0.1.0',
    description='Best-Buddy GAN (Beby-GAN, AAAI 2021) for highly detailed x4 super-resolution, as a BasicSR plugin',
    long_description=read('README.md'),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    python_requires=PYTHON_REQUIRES,  # basicsr==1.4.2 cannot be built on Python >= 3.13 (BasicSR issue #749)
    packages=find_packages(include=('bebygan_plugin', 'bebygan_plugin.*')),
    py_modules=['bebygan_autoload'],
    cmdclass={'build_py': BuildPyWithAutoload, 'editable_wheel': EditableWheelWithAutoload},
    install_requires=[
        'basicsr==1.4.2',
        'torch>=2.1',
        'torchvision>=0.16',
        'lmdb',
        'opencv-python',
        'addict',
        'lpips',
        'pyiqa',
        'numpy',
        'Pillow',
        'pyyaml',
        'scikit-image',
        'tqdm',
    ],
    extras_require={
        'interchange': ['safetensors', 'spandrel'],
        'export': ['onnx', 'onnxruntime'],
        'tb': ['tensorboard'],  # logger.use_tb_logger: scalars and the validation strips
        'wandb': ['tensorboard', 'wandb'],  # logger.wandb (BasicSR mirrors TensorBoard to it)
        'test': ['pytest', 'jsonschema', 'safetensors', 'spandrel', 'onnx', 'onnxruntime',
                 'import-linter', 'ruff', 'vulture',  # architecture, lint and dead-code checks of the suite
                 'tensorboard', 'wandb'],  # the validation strips, read back from TensorBoard and wandb (offline)
    },
    entry_points={
        'console_scripts': [
            'bebygan-train=bebygan_plugin.train:main',
            'bebygan-test=bebygan_plugin.test:main',
            'bebygan-demo=bebygan_plugin.demo:main',
            'bebygan-prepare=bebygan_plugin.preparation.cli:prepare_main',
            'bebygan-eval=bebygan_plugin.evaluation.cli:main',
            'bebygan-infer=bebygan_plugin.inference.cli:infer_main',
            'bebygan-convert=bebygan_plugin.inference.cli:convert_main',
            'bebygan-interpolate=bebygan_plugin.inference.cli:interpolate_main',
            'bebygan-export=bebygan_plugin.inference.cli:export_main',
            'bebygan-degrade=bebygan_plugin.preparation.cli:degrade_main',
        ],
    },
)
