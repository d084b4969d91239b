"""Non-finite losses: the update is skipped with a logged warning; too many in a row stop the run clearly.

The skip is decided on the device; the warnings and the stop come when the host reads the step records (BasicSR's
log at ``print_freq``, ``get_current_log``; a checkpoint save; reading ``nonfinite_streak`` or ``log_dict``)."""

import pytest
import torch

from tests.helpers import training_runs as support


def _params(net):
    return [p.detach().clone() for p in net.parameters()]


def _same(before, net):
    return all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_a_nan_batch_skips_both_updates_and_a_finite_one_resets_the_count(tmp_path, warnings_log):
    model = support.build_model(tmp_path, max_consecutive_nonfinite=3)
    g_before, d_before = _params(model.net_g), _params(model.net_d)
    bad = support.batch()
    bad['lq'][0, 0, 0, 0] = float('nan')
    for it in (1, 2):
        model.feed_data(bad)
        model.optimize_parameters(it)
    assert _same(g_before, model.net_g) and _same(d_before, model.net_d)
    assert model.nonfinite_streak == 2
    assert any('iter 2: non-finite loss' in m and 'G update skipped' in m for m in warnings_log)
    assert any('D update skipped' in m for m in warnings_log)
    assert all(torch.isfinite(p).all() for p in model.net_g.parameters())

    model.feed_data(support.batch(1))
    model.optimize_parameters(3)
    assert not _same(g_before, model.net_g) and not _same(d_before, model.net_d)
    assert model.nonfinite_streak == 0


def test_an_infinite_discriminator_loss_skips_only_the_discriminator_update(tmp_path, warnings_log):
    model = support.build_model(tmp_path)
    real_gan = model.cri_gan

    def d_loss_explodes(real, fake, for_discriminator, weight=None):
        loss = real_gan(real, fake, for_discriminator, weight)
        return loss * float('inf') if for_discriminator else loss

    model.cri_gan = d_loss_explodes
    g_before, d_before = _params(model.net_g), _params(model.net_d)
    model.feed_data(support.batch())
    model.optimize_parameters(1)
    assert not _same(g_before, model.net_g) and _same(d_before, model.net_d)
    assert [m for m in warnings_log if 'skipped' in m] == [
        m for m in warnings_log if 'l_d=inf' in m and 'D update skipped' in m]


def test_too_many_nonfinite_iterations_in_a_row_stop_with_a_clear_error(tmp_path, warnings_log):
    model = support.build_model(tmp_path, max_consecutive_nonfinite=3)
    bad = support.batch()
    bad['gt'][:] = float('inf')
    model.feed_data(bad)
    model.optimize_parameters(1)
    model.optimize_parameters(2)
    model.optimize_parameters(3)  # the limit is reached on the device: the host learns it at the next log
    with pytest.raises(RuntimeError) as err:
        model.get_current_log()
    message = str(err.value)
    assert 'iter 3' in message and '3 consecutive' in message and 'train.max_consecutive_nonfinite' in message
    assert '--auto_resume' in message


def test_the_limit_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match='train.max_consecutive_nonfinite'):
        support.build_model(tmp_path, max_consecutive_nonfinite=0)
