"""Each private torch / BasicSR name the plugin uses, through its one function in
``bebygan_plugin.compat.private_names`` (and the two used outside the package), against the installed versions.

A failure names the upstream change and what of the plugin depends on it, so an upgrade that drops a private name
says so here instead of breaking a run."""
import importlib

import pytest
import torch

from bebygan_plugin.compat import private_names


def _upstream_changed(what: str, used_by: str):
    from importlib.metadata import version

    installed = ', '.join(f'{name} {version(name)}' for name in ('torch', 'torchvision', 'basicsr'))
    return pytest.fail(f'{what} changed upstream (installed: {installed}); {used_by} depends on it: adapt its '
                       'function in bebygan_plugin/compat/private_names.py', pytrace=False)


def test_grad_scaler_found_inf_flags_of_an_optimizer():
    """The flags are the scaler's own: raising one makes its ``step`` skip the update (what
    ``step_without_sync`` does with a non-finite loss)."""
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    scaler = torch.amp.GradScaler('cpu', init_scale=4.0)
    scaler.scale(weight.sum()).backward()
    scaler.unscale_(optimizer)
    try:
        flags = private_names.grad_scaler_found_inf(scaler, optimizer)
    except (AttributeError, KeyError, TypeError):
        _upstream_changed("torch.amp.GradScaler._per_optimizer_states[id(optimizer)]['found_inf_per_device']",
                          'model_mixins.step_records.step_without_sync (skipping a non-finite step on the device)')
    assert [flag.item() for flag in flags] == [0.0]  # finite gradients
    flags[0].add_(1.0)
    scaler.step(optimizer)
    assert torch.equal(weight.detach(), torch.ones(2))  # skipped
    scaler.update()
    assert scaler.get_scale() == 2.0  # and the scale backed off, as for an inf gradient


@pytest.mark.parametrize('text, value', [('1', 1), ('0.5', 0.5), ('true', True), ('~', None), ('none', None),
                                         ('[1, 2]', [1, 2]), ('experiment_a', 'experiment_a'),
                                         ('[__import__("os").getpid()]', ['__import__("os").getpid()'])])
def test_basicsr_reads_force_yml_values_with_the_safe_parser(text, value):
    """``import bebygan_plugin`` replaced BasicSR's ``--force_yml`` value parser (``_postprocess_yml_value``, which
    ``eval()``-s values starting with ``[``) by the YAML one: a list of code stays text."""
    import basicsr.utils.options as options

    try:
        private_names.replace_basicsr_force_yml_parser(options._postprocess_yml_value)
    except AttributeError:
        _upstream_changed('basicsr.utils.options._postprocess_yml_value',
                          'compat.basicsr_option_parsing (--force_yml values read as YAML, never eval())')
    parsed = options._postprocess_yml_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_lmdb_paths_of_a_basicsr_file_client(tmp_path):
    import lmdb
    from basicsr.utils.file_client import FileClient

    paths = []
    for name in ('lq.lmdb', 'gt.lmdb'):
        lmdb.open(str(tmp_path / name), map_size=1 << 20).close()
        paths.append(str(tmp_path / name))
    client = FileClient('lmdb', db_paths=paths, client_keys=['lq', 'gt'])
    try:
        found = private_names.lmdb_paths(client)
    except AttributeError:
        _upstream_changed('basicsr.utils.file_client.LmdbBackend._client',
                          'compat.undecodable_images (naming the LMDB of a corrupt image)')
    assert found == {'lq': paths[0], 'gt': paths[1]}


def test_is_batch_norm():
    try:
        assert private_names.is_batch_norm(torch.nn.BatchNorm2d(3))
    except ImportError:
        _upstream_changed('torch.nn.modules.batchnorm._BatchNorm',
                          'BebyGANModel.keep_saved_norm_statistics (BatchNorm discriminators under DDP / CUDA)')
    assert private_names.is_batch_norm(torch.nn.SyncBatchNorm(3))
    assert private_names.is_batch_norm(torch.nn.BatchNorm1d(3))
    assert private_names.is_batch_norm(torch.nn.LazyBatchNorm2d())
    assert not private_names.is_batch_norm(torch.nn.InstanceNorm2d(3, track_running_stats=True))
    assert not private_names.is_batch_norm(torch.nn.Conv2d(3, 3, 1))


def test_torchvision_functional_tensor_successor_has_what_basicsr_imports():
    """``bebygan_autoload.alias_torchvision_functional_tensor`` (compat patch 1) aliases this private module."""
    try:
        successor = importlib.import_module('torchvision.transforms._functional_tensor')
        successor.rgb_to_grayscale  # noqa: B018 - what basicsr.data.degradations imports
    except (ImportError, AttributeError):
        _upstream_changed('torchvision.transforms._functional_tensor.rgb_to_grayscale',
                          "compat patch 1 (import basicsr on torchvision >= 0.17)")


def test_setuptools_editable_wheel_still_has_install_namespaces():
    """setup.py extends it so that ``pip install -e .`` installs the .pth hook (install time only)."""
    from setuptools.command.editable_wheel import editable_wheel

    if not hasattr(editable_wheel, '_install_namespaces'):
        pytest.fail('setuptools.command.editable_wheel.editable_wheel._install_namespaces is gone: setup.py\'s '
                    'EditableWheelWithAutoload no longer installs bebygan_plugin_autoload.pth with pip install -e .; '
                    'find the new step that writes into the unpacked editable wheel', pytrace=False)


def test_basicsr_books_each_validation_value_in_update_best_metric_result():
    """``after_best_metric_update`` extends this private hook of ``BaseModel`` (val.keep_best)."""
    import inspect

    from basicsr.models.base_model import BaseModel

    hook = getattr(BaseModel, '_update_best_metric_result', None)
    if hook is None or list(inspect.signature(hook).parameters) != ['self', 'dataset_name', 'metric', 'val',
                                                                   'current_iter']:
        _upstream_changed('basicsr.models.base_model.BaseModel._update_best_metric_result(dataset_name, metric, '
                          'val, current_iter)', 'model_mixins.checkpoint_mixin (val.keep_best: net_g_best.pth)')

    @private_names.after_best_metric_update
    class Recording:
        def best_metric_updated(self, *args):
            self.seen = args

    class Model(Recording, BaseModel):
        def __init__(self):  # BaseModel's needs a full option dict; the bookkeeping needs only this
            self.best_metric_results = {'Set5': {'psnr': {'better': 'higher', 'val': float('-inf'), 'iter': -1}}}

    model = Model()
    model._update_best_metric_result('Set5', 'psnr', 30.5, 100)
    assert model.best_metric_results['Set5']['psnr'] == {'better': 'higher', 'val': 30.5, 'iter': 100}
    assert model.seen == ('Set5', 'psnr', 30.5, 100)


def test_basicsr_training_loop_epoch_reads_the_epoch_of_train_pipeline():
    """The stop on SIGTERM saves the epoch of BasicSR's loop: ``train_pipeline`` must still keep it in ``epoch``."""
    from basicsr.train import train_pipeline

    assert 'epoch' in train_pipeline.__code__.co_varnames, \
        'basicsr.train.train_pipeline no longer has a local "epoch": update basicsr_training_loop_epoch'
    assert private_names.basicsr_training_loop_epoch() is None  # outside a training loop


def test_no_private_upstream_name_outside_private_names():
    """The package reaches private names (``x._name`` of another object, ``from torch... import _name``, a
    ``torch._x`` module) only in ``compat/private_names.py``."""
    import ast
    from pathlib import Path

    package = Path(private_names.__file__).resolve().parents[1]
    found = []
    for path in sorted(package.rglob('*.py')):
        if path.name == 'private_names.py' and path.parent.name == 'compat':
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.Attribute) and node.attr.startswith('_') and not node.attr.startswith('__'):
                if not (isinstance(node.value, ast.Name) and node.value.id in ('self', 'cls')):
                    found.append(f'{path.relative_to(package)}:{node.lineno}: {ast.unparse(node)}')
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                private = [a.name for a in node.names if a.name.startswith('_')]
                if private or any(part.startswith('_') for part in (node.module or '').split('.')):
                    found.append(f'{path.relative_to(package)}:{node.lineno}: from {node.module} import {private}')
    assert found == []
