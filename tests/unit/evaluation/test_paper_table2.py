"""Table 2 as shipped: its shape, the values the paper repeats elsewhere, and the name matching of --paper."""
import pytest

from bebygan_plugin.evaluation.paper_table2 import METHODS, METRICS, TABLE2, paper_dataset, paper_method, published


def test_the_table_has_every_cell_of_the_paper():
    assert list(TABLE2) == ['Set14', 'BSDS100', 'DIV2K', 'UH4K']
    for rows in TABLE2.values():
        assert list(rows) == list(METRICS)
        for values in rows.values():
            assert list(values) == list(METHODS)


@pytest.mark.parametrize('dataset, lpips, pi', [('Set14', 0.2202, 3.08), ('BSDS100', 0.2385, 2.44)])
def test_beby_gan_column_equals_table1_ours(dataset, lpips, pi):
    """Table 1 ("Ours", LPIPS / PI) repeats Table 2's Beby-GAN column on Set14 and BSDS100."""
    assert TABLE2[dataset]['lpips']['Beby-GAN'] == lpips
    assert TABLE2[dataset]['pi']['Beby-GAN'] == pi


def test_the_bold_cells_are_the_best_gan_based_values():
    """The paper bolds the best GAN-based value (SRGAN .. Beby-GAN) of each row; the transcription agrees."""
    bold = {('Set14', 'pi'): 'Beby-GAN-PI', ('BSDS100', 'pi'): 'Beby-GAN-PI', ('DIV2K', 'pi'): 'ESRGAN-PI',
            ('UH4K', 'pi'): 'RankSRGAN'}
    for dataset, rows in TABLE2.items():
        for metric, values in rows.items():
            gan = {m: values[m] for m in METHODS[3:]}
            best = (min if metric in ('lpips', 'pi') else max)(gan, key=gan.get)
            assert best == bold.get((dataset, metric), 'Beby-GAN'), (dataset, metric)


def test_names_match_without_case_and_separators():
    assert paper_dataset('B100') == paper_dataset('bsd100') == paper_dataset('BSDS100') == 'BSDS100'
    assert paper_dataset('DIV2K_valid') == 'DIV2K' and paper_dataset('Set5') is None
    assert paper_method('bebygan_pi') == paper_method('BebyGAN-PI') == 'Beby-GAN-PI'
    assert paper_method('esrgan') == 'ESRGAN' and paper_method('bicubic') is None
    assert published('set14', 'RRDB', 'psnr') == 28.95
    assert published('Set14', 'RRDB', 'niqe') is None
