"""``train.channels_last`` and ``train.compile``: the same training step, only laid out or compiled differently.

Each option is checked against a model built without it from the same seed: the logged losses of a few steps and
the weights after them agree to float rounding, and checkpoints keep the plain network's keys. ``train.compile``
compiles the two passes of the step with their losses (``generator_pass``, ``discriminator_pass``): one graph each,
no graph break, no recompilation after the first compiled step. The compiled model uses torch.compile's ``eager``
backend: the same Dynamo capture (graphs, graph breaks, guards, recompilations) as the default ``inductor``
backend, run as captured, without AOT autograd and code generation (``aot_eager`` made this test take 100 s on a
shared 2-core CPU, inductor minutes; ``python -m benchmarks.step_speed`` runs inductor and compares its losses).
"""

import pytest
import torch

from devtools.photos import photo_batch
from devtools.recipe import build_in_process, tiny_recipe

COMPILE_FOR_TESTS = {'backend': 'eager'}


def _options(ema_decay=0.0, **train):
    opt = tiny_recipe('speed', total_iter=10)
    opt['train'].update(ema_decay=ema_decay, **train)
    return opt


def _train(model, steps=3):
    batch = photo_batch()
    model.feed_data(batch)
    logs = []
    for it in range(1, steps + 1):
        model.optimize_parameters(it)
        logs.append({k: float(v) for k, v in model.log_dict.items()})
    return logs


def _assert_same_training(model, reference, steps=3, rel=1e-4):
    logs, ref_logs = _train(model, steps), _train(reference, steps)
    for log, ref_log in zip(logs, ref_logs):
        assert log.keys() == ref_log.keys()
        for key in ref_log:
            assert log[key] == pytest.approx(ref_log[key], rel=rel, abs=1e-6), key
    for name in ('net_g', 'net_d'):
        ours = model.get_bare_model(getattr(model, name)).state_dict()
        theirs = reference.get_bare_model(getattr(reference, name)).state_dict()
        assert ours.keys() == theirs.keys()
        for key in theirs:
            torch.testing.assert_close(ours[key], theirs[key], rtol=1e-4, atol=1e-5, msg=f'{name}.{key}')


def test_channels_last_trains_the_same_with_nhwc_weights():
    model = build_in_process(_options(channels_last=True))
    reference = build_in_process(_options())
    conv_weights = [p for net in (model.net_g, model.net_d) for p in net.parameters() if p.dim() == 4]
    assert conv_weights and all(p.is_contiguous(memory_format=torch.channels_last) for p in conv_weights)
    assert not reference.net_g.conv_first.weight.is_contiguous(memory_format=torch.channels_last)
    _assert_same_training(model, reference)
    assert model.lq.is_contiguous(memory_format=torch.channels_last)  # the batch too: no conversion at each net
    assert model.gt.is_contiguous(memory_format=torch.channels_last)


def test_compile_trains_the_same_with_the_losses_inside_and_keeps_plain_networks(tmp_path):
    model = build_in_process(_options(ema_decay=0.9, compile=COMPILE_FOR_TESTS))
    reference = build_in_process(_options(ema_decay=0.9))
    assert not isinstance(model.net_g, torch._dynamo.eval_frame.OptimizedModule)  # the passes are compiled
    counters = torch._dynamo.utils.counters
    counters.clear()
    _assert_same_training(model, reference, steps=2)  # step 1 eager (device caches), step 2 compiles both passes
    assert not counters['graph_break'], dict(counters['graph_break'])  # the losses are inside, in one graph each
    assert counters['stats']['unique_graphs'] == 2
    with torch._dynamo.config.patch(error_on_recompile=True):  # later steps reuse them
        _assert_same_training(model, reference, steps=2)
    torch.testing.assert_close(model.net_g_ema.state_dict(), reference.net_g_ema.state_dict(), rtol=1e-4, atol=1e-5)

    model.opt['path'].update(models=str(tmp_path), training_states=str(tmp_path))
    model.save(epoch=0, current_iter=2)
    saved_g = torch.load(tmp_path / 'net_g_2.pth')
    saved_d = torch.load(tmp_path / 'net_d_2.pth')
    assert saved_g.keys() == {'params', 'params_ema'}
    for params in (saved_g['params'], saved_g['params_ema']):
        assert params.keys() == reference.net_g.state_dict().keys()
    assert saved_d['params'].keys() == reference.net_d.state_dict().keys()


@pytest.mark.parametrize('train, culprit', [({'channels_last': 'yes'}, "'yes'"),
                                            ({'compile': 'inductor'}, "'inductor'")])
def test_bad_values_are_refused_by_the_model_too(train, culprit):
    with pytest.raises(ValueError, match=culprit):
        build_in_process(_options(**train))
