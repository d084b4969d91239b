"""bebygan-eval's GT / LQ pairing by name (x<scale> suffix optional), through files/image_folders."""
from bebygan_plugin.evaluation.datasets import DatasetSpec, ImagePair, pair_images


def test_pairs_with_and_without_the_scale_suffix_and_names_every_problem(tmp_path):
    gt, lq = tmp_path / 'HR', tmp_path / 'LR'
    gt.mkdir()
    lq.mkdir()
    for folder, names in ((gt, ('a.png', 'b.png', 'c.png', 'd.png', 'd.jpg', 'e.png')),
                          (lq, ('ax4.png', 'b.png', 'bx4.png', 'e.png', 'orphanx4.png', 'ax2.png'))):
        for name in names:
            (folder / name).write_bytes(b'')
    pairs, problems = pair_images(DatasetSpec('S', str(gt), str(lq)), scale=4)
    assert pairs == [ImagePair('S', 'a', str(gt / 'a.png'), str(lq / 'ax4.png')),
                     ImagePair('S', 'e', str(gt / 'e.png'), str(lq / 'e.png'))]
    assert [str(p) for p in problems] == [
        f'--dataset S: {gt / "d.jpg"} and {gt / "d.png"} have the same name \'d\'; keep one',
        f'--dataset S: {gt / "b.png"} has two LQ partners, {lq / "b.png"} and {lq / "bx4.png"}; keep one',
        f'--dataset S: {gt / "c.png"} has no LQ partner in {lq} (looked for c and cx4 with an image extension)',
        f'--dataset S: {gt / "d.jpg"} has no LQ partner in {lq} (looked for d and dx4 with an image extension)',
        f'--dataset S: {lq / "ax2.png"} has no GT partner in {gt}',
        f'--dataset S: {lq / "orphanx4.png"} has no GT partner in {gt}']
