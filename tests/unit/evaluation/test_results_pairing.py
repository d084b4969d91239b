"""How --results file names pair with the GT names."""
import pytest

from bebygan_plugin.evaluation.results import gt_key_for, parse_results_spec

GT = ['baboon', 't1', 't10', 'img_001_SRF_4_HR', '8023']


@pytest.mark.parametrize('stem, key', [
    ('baboon', 'baboon'), ('baboonx4', 'baboon'), ('baboon_x4', 'baboon'), ('baboon_x4_SR', 'baboon'),
    ('baboon_ESRGAN', 'baboon'), ('Baboon-RankSRGAN', 'baboon'), ('baboon.rlt', 'baboon'),
    ('t10_SR', 't10'), ('t1_SR', 't1'), ('t10', 't10'),  # the longest GT name wins
    ('img_001_SRF_4_SR', 'img_001_SRF_4_HR'), ('img_001_SRF_4_HR', 'img_001_SRF_4_HR'), ('8023_x4', '8023'),
    ('baboons', None), ('t100', None), ('zebra_x4', None), ('xbaboon', None),
])
def test_sr_stems_pair_with_the_gt_name_they_start_with(stem, key):
    assert gt_key_for(stem, GT) == key


def test_spec_needs_a_name_and_a_folder():
    assert parse_results_spec('ESRGAN=out/ESRGAN') == ('ESRGAN', 'out/ESRGAN')
    for bad in ('ESRGAN', '=dir', 'ESRGAN='):
        with pytest.raises(ValueError, match='expected NAME=DIR'):
            parse_results_spec(bad)
