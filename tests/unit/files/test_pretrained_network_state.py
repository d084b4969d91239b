"""The one loader of ``path.pretrain_network_*`` (preflight and inference both use it): BasicSR's param-key fallback,
``module.`` prefixes, a layout conversion hook, and every refusal named by its option key."""
import torch

import bebygan_plugin  # noqa: F401  (registers the archs; before basicsr)
from basicsr.archs.rrdbnet_arch import RRDBNet
from bebygan_plugin.files.weights import (any_layout_weight_groups, pretrained_network_state,
                                          strip_module_prefix)

NET = {'type': 'RRDBNet', 'num_in_ch': 3, 'num_out_ch': 3, 'num_feat': 4, 'num_block': 1, 'num_grow_ch': 2}


def _options(file, **path) -> dict:
    return {'network_g': dict(NET), 'path': {'pretrain_network_g': str(file), **path}}


def _state() -> dict:
    torch.manual_seed(0)
    args = {k: v for k, v in NET.items() if k != 'type'}
    return RRDBNet(**args).state_dict()


def test_ddp_prefixes_and_the_params_fallback(tmp_path):
    state = _state()
    torch.save({'params': {f'module.{k}': v for k, v in state.items()}}, tmp_path / 'g.pth')
    loaded, problems = pretrained_network_state(_options(tmp_path / 'g.pth', param_key_g='params_ema'), 'g',
                                                str(tmp_path))
    assert problems == [] and list(loaded) == list(state)  # params_ema missing: BasicSR falls back to params
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_each_refusal_names_its_option_key(tmp_path):
    torch.save({'other': _state()}, tmp_path / 'g.pth')
    _, problems = pretrained_network_state(_options(tmp_path / 'g.pth'), 'g', str(tmp_path))
    assert [p.where for p in problems] == ['path.param_key_g'] and "has no 'params' entry" in str(problems[0])
    _, problems = pretrained_network_state(_options(tmp_path / 'nowhere.pth'), 'g', str(tmp_path))
    assert [p.where for p in problems] == ['path.pretrain_network_g'] and 'does not exist' in str(problems[0])
    wrong = _options(tmp_path / 'g.pth', param_key_g='other')
    wrong['network_g']['num_grow_ch'] = 3
    _, problems = pretrained_network_state(wrong, 'g', str(tmp_path))
    assert [p.where for p in problems] == ['path.pretrain_network_g']
    assert 'does not fit network_g' in str(problems[0]) and 'shapes differ' in str(problems[0])


def test_a_conversion_runs_before_the_fit_check_and_any_layout_reads_a_bare_state_dict(tmp_path):
    state = _state()
    torch.save({f'renamed.{k}': v for k, v in state.items()}, tmp_path / 'bare.pth')  # no params group at all
    opt = _options(tmp_path / 'bare.pth')
    _, problems = pretrained_network_state(opt, 'g', str(tmp_path))
    assert [p.where for p in problems] == ['path.param_key_g']  # as BasicSR reads it: no 'params'

    def convert(s):
        return {k[len('renamed.'):]: v for k, v in s.items()}

    loaded, problems = pretrained_network_state(opt, 'g', str(tmp_path), any_layout_weight_groups, convert)
    assert problems == [] and list(loaded) == list(state)
    _, problems = pretrained_network_state(opt, 'g', str(tmp_path), any_layout_weight_groups)
    assert 'does not fit network_g' in str(problems)  # the fit check sees the unconverted keys


def test_strip_module_prefix_only_strips_the_leading_prefix():
    assert list(strip_module_prefix({'module.a': 1, 'b.module.c': 2, 'modulex': 3})) == ['a', 'b.module.c', 'modulex']
