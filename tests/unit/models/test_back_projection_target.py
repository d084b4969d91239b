"""``bp_opt.target``: the back-projection term (Eq. 4) of a training step compares S(SR) with the LR input
(``lq``, the paper) or with S(GT) (``gt``, the real-world recipes), in BebyGANModel and RealBebyGANModel."""
import pytest
import torch
from torch.nn import functional as F

from bebygan_plugin.ops.imresize import imresize_bicubic
from tests.helpers.real_world import recipe, shrink
from devtools.recipe import build_in_process, tiny_recipe


def paired_batch():
    gt = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    lq = F.avg_pool2d(gt, 4) + 0.2  # an LR input far from S(GT): the two targets give different losses
    return {'gt': gt, 'lq': lq}


def bp_term(model, data):
    model.feed_data(data)
    with torch.no_grad():
        output = model.net_g(model.lq)
        return model.generator_losses(output, None)['l_g_bp'].item(), output


@pytest.mark.parametrize('target', ['lq', 'gt'])
def test_bebygan_model_back_projects_onto_the_chosen_target(tmp_path, target):
    opt = tiny_recipe('bp_target', **{'train.bp_opt.target': target})
    model = build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'states')
    data = paired_batch()
    loss, output = bp_term(model, data)
    reference = data['lq'] if target == 'lq' else imresize_bicubic(data['gt'], 1 / 4)
    assert loss == pytest.approx(F.l1_loss(imresize_bicubic(output, 1 / 4), reference).item(), rel=1e-5)
    other = imresize_bicubic(data['gt'], 1 / 4) if target == 'lq' else data['lq']
    assert abs(loss - F.l1_loss(imresize_bicubic(output, 1 / 4), other).item()) > 0.05


def test_the_real_world_recipe_back_projects_onto_the_gt_and_the_bicubic_one_onto_the_lq():
    assert recipe('train_RealBebyGAN_x4')['train']['bp_opt']['target'] == 'gt'
    assert recipe('finetune_RealBebyGAN_x4')['train']['bp_opt']['target'] == 'gt'
    assert 'target' not in recipe('train_BebyGAN_x4')['train']['bp_opt']  # the default: lq (the paper)


def test_real_bebygan_model_with_target_gt_uses_the_gt_not_its_unsharp_mask(tmp_path):
    opt = shrink(recipe('train_RealBebyGAN_x4'), 'real_bp', 'unused', 'unused')
    model = build_in_process(opt, models=tmp_path / 'models', training_states=tmp_path / 'states')
    model.is_train = False  # a paired batch (no synthesis) with the unsharp-masked GT computed as in training
    data = paired_batch()
    model.feed_data(data)
    model.gt_usm = model.unsharp_mask(model.gt)
    with torch.no_grad():
        output = model.net_g(model.lq)
        loss = model.generator_losses(output, None)['l_g_bp'].item()
    assert loss == pytest.approx(F.l1_loss(imresize_bicubic(output, 1 / 4), imresize_bicubic(data['gt'], 1 / 4)).item(),
                                 rel=1e-5)


def test_the_loss_refuses_an_unknown_target_and_an_lr_sized_gt():
    from bebygan_plugin.losses.back_projection_loss import BackProjectionLoss

    with pytest.raises(ValueError, match="'lq' .* or 'gt'"):
        BackProjectionLoss(target='hr')
    with pytest.raises(ValueError, match='target gt needs the HR-sized GT'):
        BackProjectionLoss(target='gt')(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 8, 8))
