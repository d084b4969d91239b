"""Fault injection: kill -9 a CPU training run at random moments (two of them in the middle of a save) and
auto-resume each time; the run must reach its final iteration repeating at most one checkpoint interval per kill.

A supervisor subprocess imports the plugin once and forks each training process from that warm interpreter (an
import costs ~8 s, a fork nothing); each child runs ``bebygan_plugin.train.main()`` with the command line
``-opt <yml> --auto_resume``, exactly as ``python bebygan_plugin/train.py`` does, and is killed with SIGKILL by
the supervisor. Kill moments (seeded, the seed is printed):

1. after a random iteration in [6, 12];
2. at a random moment after the run's first iteration, timed from the reference run's pace to land before
   iteration ``TOTAL_ITER - 3 * FREQ`` (anywhere up to there, including saves and validation), so that the two
   save kills below still have two checkpoints each to reach;
3. in the middle of writing a network file (net_g or net_d, random) of the run's second checkpoint: the trace
   hook makes that one save hang after its temporary file is written, before fsync + rename;
4. in the middle of writing the training state file of the run's second checkpoint (its networks are complete);

then one run to the end. An uninterrupted run of the same options is the reference.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
import traceback
from os import path as osp

import pytest

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe

TOTAL_ITER, FREQ = 50, 5


# ----------------------------------------------------------------------------------------- supervisor process
def _child(train_main, opt_path: str, out_path: str, env: dict) -> None:
    code = 1
    try:
        os.environ.update(env)
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.argv = [support.TRAIN_SCRIPT, '-opt', opt_path, '--auto_resume']
        train_main()
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 1
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _events(trace_dir: str, pid: int) -> list:
    path = osp.join(trace_dir, f'trace-rank0-pid{pid}.jsonl')
    if not osp.isfile(path):
        return []
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.endswith('\n')]


def _tmp_files(exp_dir: str) -> list:
    found = []
    for sub in ('models', 'training_states'):
        folder = osp.join(exp_dir, sub)
        if osp.isdir(folder):
            found += [osp.join(sub, n) for n in os.listdir(folder) if '.tmp-' in n]
    return sorted(found)


def supervise(cfg: dict) -> None:
    """Runs in its own process: fork the training runs, kill them, write the record to ``cfg['record']``."""
    os.chdir(cfg['cwd'])
    os.environ.update(support.trace_env(cfg['trace_dir']))  # offline, CPU, trace dir (no sitecustomize needed)
    import bebygan_plugin.train as train

    support._instrument()
    rng = random.Random(cfg['seed'])
    trace_dir, exp_dir = cfg['trace_dir'], osp.join(cfg['cwd'], 'experiments', cfg['name'])
    record = []

    def launch(label, opt_path, env=None):
        pid = os.fork()
        if pid == 0:
            _child(train.main, opt_path, osp.join(trace_dir, f'{label}.out'), env or {})
        return pid

    exited = {}

    def wait_for(pid, predicate, timeout=180):
        """Poll the child's trace until ``predicate(events)``; stops early if the child ends."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(_events(trace_dir, pid)):
                return True
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                exited[pid] = status
                return False
            time.sleep(0.01)
        return False

    def kill(label, pid, detail):
        if pid not in exited:
            os.kill(pid, signal.SIGKILL)
            exited[pid] = os.waitpid(pid, 0)[1]
        status = exited[pid]
        record.append({'label': label, 'pid': pid, 'killed': os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9,
                       'tmp_after_kill': _tmp_files(exp_dir), **detail})

    def run_to_end(label, opt_path):
        pid = launch(label, opt_path)
        _, status = os.waitpid(pid, 0)
        record.append({'label': label, 'pid': pid, 'killed': False, 'exit_code': os.waitstatus_to_exitcode(status)})

    def iters(events):
        return [e['iter'] for e in events if e['event'] == 'iter']

    run_to_end('reference', cfg['reference_opt'])
    ref_events = [e for e in _events(trace_dir, record[-1]['pid']) if e['event'] == 'iter']
    seconds_per_iter = (ref_events[-1]['t'] - ref_events[0]['t']) / max(1, len(ref_events) - 1) if ref_events else 0.1

    target_iter = rng.randint(6, 12)
    pid = launch('kill_at_iteration', cfg['opt'])
    wait_for(pid, lambda ev: iters(ev) and max(iters(ev)) >= target_iter)
    kill('kill_at_iteration', pid, {'target_iter': target_iter})

    fraction = rng.uniform(0.0, 0.9)
    pid = launch('kill_at_random_time', cfg['opt'])
    wait_for(pid, lambda ev: bool(iters(ev)))
    last_iter = TOTAL_ITER - 3 * FREQ - 1
    delay = fraction * max(1, last_iter - max(iters(_events(trace_dir, pid)), default=0)) * seconds_per_iter
    time.sleep(delay)
    kill('kill_at_random_time', pid, {'delay_s': round(delay, 3)})

    for label, kind in (('kill_during_network_save', rng.choice(['net_g', 'net_d'])),
                        ('kill_during_state_save', 'state')):
        # the run completes one checkpoint, then hangs in the middle of writing the next one, and is killed there
        pid = launch(label, cfg['opt'], {'BEBYGAN_TRACE_BLOCK_SAVE': f'{kind}:2'})
        wait_for(pid, lambda ev: any(e['event'] == 'fsync' and e['blocking'] for e in ev))
        blocked = [e['path'] for e in _events(trace_dir, pid) if e['event'] == 'fsync' and e['blocking']]
        final = osp.join(osp.dirname(blocked[0]), osp.basename(blocked[0])[1:].split('.tmp-')[0]) if blocked else ''
        kill(label, pid, {'save_kind': kind, 'killed_during': blocked[0] if blocked else None,
                          'final_existed_after_kill': osp.exists(final) if final else None})

    run_to_end('final', cfg['opt'])
    with open(cfg['record'], 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=1)


# ------------------------------------------------------------------------------------------------------ test
def _chain_summary(trace_dir: str, record: list) -> list:
    """Per killed run: last iteration done, the newest complete checkpoint then, and where the next run resumed."""
    chain = [r for r in record if r['label'] != 'reference']
    saved_states = []  # (iteration, pid) of every state file written completely, in time order
    summary = []
    for i, run in enumerate(chain):
        events = _events(trace_dir, run['pid'])
        run['iters'] = [e['iter'] for e in events if e['event'] == 'iter']
        run['resumed_from'] = next((e['iter'] for e in events if e['event'] == 'resume'), 0)
        run['resume_digest'] = next((e['digest'] for e in events if e['event'] == 'resume'), None)
        run['saved'] = [int(osp.basename(e['path']).split('.')[0]) for e in events
                        if e['event'] == 'save' and e['path'].endswith('.state')]
        run['digests_at_save'] = {e['iter']: e['digest'] for e in events if e['event'] == 'digest_at_save'}
        if i:
            prev = chain[i - 1]
            newest = max([it for it, _ in saved_states], default=0)
            summary.append({'kill': prev['label'], 'killed_after_iter': max(prev['iters'], default=0),
                            'newest_complete_checkpoint': newest, 'resumed_from': run['resumed_from'],
                            'iterations_repeated': max(prev['iters'], default=0) - run['resumed_from']})
            if run['resumed_from']:
                saver = [pid for it, pid in saved_states if it == run['resumed_from']][-1]
                saver_run = next(r for r in chain if r['pid'] == saver)
                run['expected_digest'] = saver_run['digests_at_save'][run['resumed_from']]
        saved_states += [(it, run['pid']) for it in run['saved']]
    return summary


@pytest.mark.skipif(sys.platform != 'linux', reason='forks training processes and reads /proc/self/fd')
def test_kill9_at_random_moments_then_auto_resume_reaches_the_end(tmp_path):
    seed = int(os.environ.get('BEBYGAN_FAULT_SEED', str(int(time.time()) % 100000)))
    data = tmp_path / 'data'
    support.make_pairs(str(data / 'train'), support.CROP_NAMES[:8])
    support.make_pairs(str(data / 'val'), support.CROP_NAMES[8:9])
    opts = {}
    for name in ('faulted', 'uninterrupted'):
        opt = set5_recipe(name, str(data / 'train'), str(data / 'val'), batch=2, total_iter=TOTAL_ITER,
                          save_freq=FREQ, val_freq=20, flips=True)
        opts[name] = support.write_options(str(tmp_path / f'{name}.yml'), opt)
    trace_dir = tmp_path / 'trace'
    trace_dir.mkdir()
    cfg = {'cwd': str(tmp_path), 'trace_dir': str(trace_dir), 'name': 'faulted', 'opt': opts['faulted'],
           'reference_opt': opts['uninterrupted'], 'seed': seed, 'record': str(tmp_path / 'record.json')}
    code = (f'import sys, json; sys.path.insert(0, {support.REPO!r}); '
            f'from tests.reliability import test_sigkill_faults as t; t.supervise(json.loads(sys.argv[1]))')
    proc = subprocess.run([sys.executable, '-c', code, json.dumps(cfg)], capture_output=True, text=True,
                          timeout=400, env=support.trace_env(str(trace_dir)))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    record = json.loads((tmp_path / 'record.json').read_text())
    by_label = {r['label']: r for r in record}

    def out(label):
        return (trace_dir / f'{label}.out').read_text()

    # the uninterrupted reference
    reference = by_label['reference']
    ref_iters = [e['iter'] for e in _events(str(trace_dir), reference['pid']) if e['event'] == 'iter']
    assert reference['exit_code'] == 0, out('reference')[-3000:]
    assert ref_iters == list(range(1, TOTAL_ITER + 1))

    # every kill was a real SIGKILL; the two save kills hit a save in progress
    for label in ('kill_at_iteration', 'kill_at_random_time', 'kill_during_network_save', 'kill_during_state_save'):
        assert by_label[label]['killed'], (label, out(label)[-3000:])
    for label in ('kill_during_network_save', 'kill_during_state_save'):
        run = by_label[label]
        assert run['killed_during'], (label, out(label)[-3000:])
        tmp_name = osp.join(osp.basename(osp.dirname(run['killed_during'])), osp.basename(run['killed_during']))
        assert tmp_name in run['tmp_after_kill'], run  # the half-done save left only its temporary file ...
        assert run['final_existed_after_kill'] is False, run  # ... and no file under the final name
    assert '.state.tmp-' in osp.basename(by_label['kill_during_state_save']['killed_during'])

    summary = _chain_summary(str(trace_dir), record)
    print(f'\nfault injection (seed {seed}):')
    for row in summary:
        print('  ', row)
    for row in summary:
        assert row['resumed_from'] == row['newest_complete_checkpoint'], row
        assert 0 <= row['iterations_repeated'] <= FREQ, row  # at most one checkpoint interval repeated
    chain = [r for r in record if r['label'] != 'reference']
    for run in chain[1:]:
        assert run['resumed_from'] > 0, run['label']
        assert run['resume_digest'] == run['expected_digest'], run['label']  # nets, EMA, optimizers, RNG restored
        assert 'auto_resume: skipping' not in out(run['label'])  # atomic saves never leave a broken checkpoint

    # the final run reaches the same final iteration as the uninterrupted one and leaves a clean experiment
    final = by_label['final']
    assert final['exit_code'] == 0, out('final')[-3000:]
    assert max(final['iters']) == TOTAL_ITER == max(ref_iters)
    covered = set().union(*[set(r['iters']) for r in chain])
    assert covered == set(range(1, TOTAL_ITER + 1))
    exp = tmp_path / 'experiments' / 'faulted'
    assert not _tmp_files(str(exp))
    assert (exp / 'models' / 'net_g_latest.pth').is_file()
    assert (exp / 'training_states' / f'{TOTAL_ITER}.state').is_file()
    logs = sorted(exp.glob('train_faulted_*.log'))
    assert logs and 'End of training' in logs[-1].read_text()
    import torch

    latest = torch.load(exp / 'models' / 'net_g_latest.pth', weights_only=True)
    assert set(latest) == {'params', 'params_ema'}
    state = torch.load(exp / 'training_states' / f'{TOTAL_ITER}.state', weights_only=True)
    assert state['iter'] == TOTAL_ITER and len(state['rng']) == 1 and len(state['optimizers']) == 2


if __name__ == '__main__':  # pragma: no cover
    pytest.main([__file__, '-q', '-s'])
