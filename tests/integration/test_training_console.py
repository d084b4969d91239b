"""bebygan-train --quiet: the console shows progress lines with it/s and ETA, validation results and warnings; the
option and network dumps stay in the log file."""
import re

from devtools.recipe import run_training, skimage_recipe


def test_quiet_console_shows_progress_and_keeps_the_dumps_in_the_log(skimage_pairs, tmp_path):
    opt = skimage_recipe('quiet_console', skimage_pairs, total_iter=6, **{'val.val_freq': 100})
    result = run_training(opt, tmp_path, '--quiet')
    console = result.stdout + result.stderr
    progress = re.findall(r'^(\d\d):(\d\d):(\d\d) iter (\d+)/6 \((\d+)%\)  ([0-9.]+) it/s  ETA (\d+:\d\d:\d\d)  '
                          r'l_g_bb: ', console, re.M)
    assert progress[0][3:5] == ('1', '16') and progress[-1][3:5] == ('6', '100')  # first and last always shown
    assert progress[-1][6] == '0:00:00' and all(float(line[5]) > 0 for line in progress)
    seconds = [int(h) * 3600 + int(m) * 60 + int(s) for h, m, s, *_ in progress[:-1]]
    gaps = [(later - earlier) % 86400 for earlier, later in zip(seconds, seconds[1:])]
    assert all(gap >= 9 for gap in gaps)  # at most one line per ~10 s
    assert 'Validation chelsea' in console and '# psnr:' in console and 'End of training' in console
    assert 'RRDBNet(' not in console and 'Version Information' not in console and 'name: quiet_console' not in console
    log = next((tmp_path / 'experiments' / 'quiet_console').glob('train_*.log')).read_text()
    assert 'RRDBNet(' in log and 'Version Information' in log  # the file keeps everything
    assert len(re.findall(r'iter:\s+\d+, lr', log)) == 6  # every progress record (print_freq 1)
