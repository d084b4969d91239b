"""Key layouts of RRDB generator checkpoints, all mapped onto BasicSR's ``RRDBNet``.

Three layouts name the same tensors differently (and hold them in the same order):

- BasicSR: ``conv_first``, ``body.N.rdbK.convJ``, ``conv_body``, ``conv_up1``, ``conv_up2``, ``conv_hr``,
  ``conv_last``;
- the authors' Simple-SR ``RRDBNet`` (``utils/modules/rrdb.py``, what ``BebyGAN_x4.pth`` and ``RRDB_warmup.pth``
  hold): ``conv_first``, ``RRDB_trunk.N.RDBK.convJ``, ``trunk_conv``, ``upconv1``, ``upconv2``, ``HRconv``,
  ``conv_last``;
- the original ESRGAN (old ``RRDBNet_arch``, one ``nn.Sequential``): ``model.0``, ``model.1.sub.N.RDBK.convJ.0``,
  ``model.1.sub.<num_block>`` (the trunk conv), ``model.3``, ``model.6`` (after the two upsamplings),
  ``model.8``, ``model.10``.

``num_feat``, ``num_block``, ``num_grow_ch`` (the output channels of each RDB's ``conv1``) and the channels are
read from the tensors, never assumed. BasicSR's x2 and x1 ``RRDBNet`` pixel-unshuffle the input first, so their
``conv_first`` takes 4 or 16 times the output channels: that is how the scale is told apart.
"""
import re
from typing import Dict, List, Optional, Tuple

import torch

from ..files.weights import StateDict

BASICSR = 'BasicSR'
SIMPLE_SR = 'Simple-SR'
ESRGAN = 'ESRGAN'
LAYOUT_NAMES = {BASICSR: "BasicSR's RRDBNet (conv_first, body.N.rdbK.convJ, conv_body, conv_up1/2, conv_hr)",
                SIMPLE_SR: "the authors' Simple-SR RRDBNet (RRDB_trunk.N.RDBK.convJ, trunk_conv, upconv1/2, HRconv)",
                ESRGAN: 'the original ESRGAN layout (model.0, model.1.sub.N.RDBK.convJ.0, model.3 ... model.10)'}

_SIMPLE_SR_NAMES = {'conv_first': 'conv_first', 'trunk_conv': 'conv_body', 'upconv1': 'conv_up1',
                    'upconv2': 'conv_up2', 'HRconv': 'conv_hr', 'conv_last': 'conv_last'}
_ESRGAN_NAMES = {'model.0': 'conv_first', 'model.3': 'conv_up1', 'model.6': 'conv_up2', 'model.8': 'conv_hr',
                 'model.10': 'conv_last'}
_SIMPLE_SR_RDB = re.compile(r'^RRDB_trunk\.(\d+)\.RDB([123])\.conv([1-5])\.(weight|bias)$')
_ESRGAN_RDB = re.compile(r'^model\.1\.sub\.(\d+)\.RDB([123])\.conv([1-5])\.0\.(weight|bias)$')
_ESRGAN_TRUNK = re.compile(r'^model\.1\.sub\.(\d+)\.(weight|bias)$')
_BASICSR_BLOCK = re.compile(r'^body\.(\d+)\.rdb[123]\.conv[1-5]\.(weight|bias)$')



class LayoutError(ValueError):
    """A state dict that is not an RRDB generator in a known layout (the message says what was found)."""


def detect_layout(state: StateDict) -> Optional[str]:
    """``BASICSR``, ``SIMPLE_SR``, ``ESRGAN``, or None when the keys are none of those RRDB layouts."""
    if 'conv_first.weight' in state and 'conv_body.weight' in state:
        return BASICSR
    if 'conv_first.weight' in state and 'trunk_conv.weight' in state:
        return SIMPLE_SR
    if 'model.0.weight' in state and any(key.startswith('model.1.sub.') for key in state):
        return ESRGAN
    return None


def _rename(state: StateDict, rename) -> Tuple[StateDict, List[str]]:
    out, unknown = {}, []
    for key, value in state.items():
        new = rename(key)
        if new is None:
            unknown.append(key)
        else:
            out[new] = value
    return out, unknown


def _simple_sr_key(key: str) -> Optional[str]:
    match = _SIMPLE_SR_RDB.match(key)
    if match:
        return 'body.{}.rdb{}.conv{}.{}'.format(*match.groups())
    name, _, kind = key.rpartition('.')
    return f'{_SIMPLE_SR_NAMES[name]}.{kind}' if name in _SIMPLE_SR_NAMES and kind in ('weight', 'bias') else None


def _esrgan_key(key: str, num_block: int) -> Optional[str]:
    match = _ESRGAN_RDB.match(key)
    if match:
        return 'body.{}.rdb{}.conv{}.{}'.format(*match.groups())
    match = _ESRGAN_TRUNK.match(key)
    if match and int(match.group(1)) == num_block:
        return f'conv_body.{match.group(2)}'
    name, _, kind = key.rpartition('.')
    return f'{_ESRGAN_NAMES[name]}.{kind}' if name in _ESRGAN_NAMES and kind in ('weight', 'bias') else None


def to_basicsr(state: StateDict) -> Tuple[StateDict, str]:
    """``(state in BasicSR RRDBNet keys, layout it came in)``.

    Raises:
        LayoutError: not one of the three RRDB layouts, or keys that BasicSR's x4/x2/x1 RRDBNet has no place for
            (e.g. the extra upsampling convs of an x8 ESRGAN).
    """
    layout = detect_layout(state)
    if layout is None:
        raise LayoutError(f'unknown key layout (first keys: {", ".join(list(state)[:4])}); expected '
                          + '; or '.join(LAYOUT_NAMES.values()))
    if layout == BASICSR:
        converted, unknown = dict(state), [k for k in state if not _is_basicsr_key(k)]
    elif layout == SIMPLE_SR:
        converted, unknown = _rename(state, _simple_sr_key)
    else:
        blocks = {int(m.group(1)) for m in map(_ESRGAN_RDB.match, state) if m}
        num_block = max(blocks) + 1 if blocks else 0
        converted, unknown = _rename(state, lambda key: _esrgan_key(key, num_block))
    if unknown:
        raise LayoutError(f'{LAYOUT_NAMES[layout]} with keys that BasicSR\'s RRDBNet has no place for '
                          f'({", ".join(unknown[:4])}): a scale or variant other than x4 / x2 / x1 RRDBNet')
    return converted, layout


def _is_basicsr_key(key: str) -> bool:
    name, _, kind = key.rpartition('.')
    return kind in ('weight', 'bias') and (name in _SIMPLE_SR_NAMES.values() or bool(_BASICSR_BLOCK.match(key)))


def rrdb_config(state: StateDict) -> Dict[str, int]:
    """``RRDBNet`` keyword arguments (``num_in_ch``, ``num_out_ch``, ``scale``, ``num_feat``, ``num_block``,
    ``num_grow_ch``) read from the shapes of a BasicSR-layout state dict."""
    missing = [k for k in ('conv_first.weight', 'conv_last.weight') if k not in state]
    if missing:
        raise LayoutError(f'not a complete RRDBNet: {", ".join(missing)} missing')
    first, last = state['conv_first.weight'], state['conv_last.weight']
    num_feat, in_ch = int(first.shape[0]), int(first.shape[1])
    num_out_ch = int(last.shape[0])
    scale, num_in_ch = 4, in_ch
    if in_ch == num_out_ch * 16:
        scale, num_in_ch = 1, in_ch // 16
    elif in_ch == num_out_ch * 4:
        scale, num_in_ch = 2, in_ch // 4
    blocks = {int(m.group(1)) for m in map(_BASICSR_BLOCK.match, state) if m}
    grow = state.get('body.0.rdb1.conv1.weight')
    return {'num_in_ch': num_in_ch, 'num_out_ch': num_out_ch, 'scale': scale, 'num_feat': num_feat,
            'num_block': max(blocks) + 1 if blocks else 0,
            'num_grow_ch': int(grow.shape[0]) if grow is not None else 32}


def rrdb_receptive_radius(num_block: int) -> int:
    """Input pixels on each side that can reach one output pixel of an x4 ``RRDBNet`` (an upper bound).

    Every 3x3 conv at input resolution adds one: ``conv_first``, five per residual dense block (the dense path
    ``conv1`` ... ``conv5``), three RDBs per RRDB, ``conv_body``; the four convs after the nearest-neighbour
    upsamplings add two more. A tile padded by this many pixels sees everything its outputs depend on.
    """
    return 15 * num_block + 4


def build_rrdbnet(state: StateDict) -> Tuple[torch.nn.Module, Dict[str, int]]:
    """A BasicSR ``RRDBNet`` with ``state`` (BasicSR keys) loaded strictly, and its configuration."""
    from basicsr.archs.rrdbnet_arch import RRDBNet

    config = rrdb_config(state)
    net = RRDBNet(**config)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as err:
        reason = ' '.join(str(err).split())[:300]
        raise LayoutError(f'the tensors do not form one RRDBNet {config}: {reason}') from None
    return net, config
