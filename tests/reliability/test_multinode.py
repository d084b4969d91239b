"""Training across machines, on loopback (issue 23): two "nodes" started by ``torch.distributed.run --nnodes 2``
(one process each, gloo on the CPU), and BasicSR's ``--launcher slurm`` start-up with the variables ``srun`` sets
and a stand-in ``scontrol``. The commands are the ones ``docs/training.md`` gives; the trace hook
(``tests/helpers/training_runs.py``) records what each rank trained, saved and started with.
"""
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from tests.helpers import training_runs as support
from devtools.recipe import set5_recipe

ITERS = 4


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp('nodes')
    support.make_pairs(str(root / 'train'), support.CROP_NAMES[:8])
    return root


def _options(root, name, total_iter, save_freq=2, **overrides):
    opt = set5_recipe(name, str(root / 'train'), batch=2, total_iter=total_iter, save_freq=save_freq, **overrides)
    support.write_options(str(root / f'{name}.yml'), opt)


def _two_nodes(root, name, trace, port):
    """``python -m torch.distributed.run --nnodes 2 --node_rank N ...``, one process per node, each in its session."""
    procs = []
    for node_rank in (0, 1):
        cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes=2', f'--node_rank={node_rank}',
               '--nproc_per_node=1', '--master_addr=127.0.0.1', f'--master_port={port}', support.TRAIN_SCRIPT,
               '-opt', f'{name}.yml', '--launcher', 'pytorch']
        procs.append(subprocess.Popen(cmd, cwd=root, env=support.trace_env(str(trace)), stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, start_new_session=True))
    return procs


def _by_rank(events, kind):
    found = {}
    for event in events:
        if event['event'] == kind:
            found.setdefault(event['rank'], []).append(event)
    return found


def test_two_nodes_on_loopback_train_as_one_job(root):
    trace = root / 'trace_nodes'
    _options(root, 'nodes', ITERS)
    procs = _two_nodes(root, 'nodes', trace, support.free_port())
    outputs = [p.communicate(timeout=400)[0] for p in procs]
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-5000:]
    events = support.read_trace(str(trace))
    groups = _by_rank(events, 'process_group')
    assert sorted(groups) == [0, 1]
    for rank, (group,) in groups.items():
        assert group['dist_rank'] == rank and group['world_size'] == 2 and group['LOCAL_RANK'] == '0'
    iters = _by_rank(events, 'iter')
    assert [e['iter'] for e in iters[0]] == [e['iter'] for e in iters[1]] == list(range(1, ITERS + 1))
    for mine, theirs in zip(iters[0], iters[1]):  # every rank logs the global means
        assert mine['losses'] == theirs['losses']
        assert set(mine['lq_paths']).isdisjoint(theirs['lq_paths'])  # each node its own shard
    saved = _by_rank(events, 'save')
    assert list(saved) == [0]  # rank 0 alone writes the checkpoints
    assert sorted(os.listdir(root / 'experiments' / 'nodes' / 'training_states')) == ['2.state', '4.state']


def test_sigterm_to_one_node_stops_both_after_the_same_iteration(root):
    trace = root / 'trace_stop'
    _options(root, 'nodes_stop', 500, save_freq=1000)
    procs = _two_nodes(root, 'nodes_stop', trace, support.free_port())
    deadline = time.monotonic() + 300
    while not any(e['event'] == 'iter' and e['iter'] >= 3 for e in support.read_trace(str(trace))):
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), 'no iteration 3'
        time.sleep(0.05)
    os.killpg(procs[1].pid, signal.SIGTERM)  # node 1 only (rank 1), as a preempted machine would be
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    iters = _by_rank(support.read_trace(str(trace)), 'iter')
    last = max(e['iter'] for e in iters[0])
    assert max(e['iter'] for e in iters[1]) == last < 500, outputs
    assert sorted(os.listdir(root / 'experiments' / 'nodes_stop' / 'training_states')) == [f'{last}.state']
    assert all(f'stopped on SIGTERM after iteration {last}' in out for out in outputs), outputs


SCONTROL = '''#!/bin/sh
# stand-in for SLURM's scontrol: "scontrol show hostname LIST" prints one host per line
echo "$@" >> "$0.calls"
[ "$1 $2" = "show hostname" ] || exit 1
echo "$3" | tr ',' '\\n'
'''


def test_slurm_launcher_takes_rank_world_size_and_master_address_from_slurm(root):
    trace = root / 'trace_slurm'
    bin_dir = root / 'bin'
    bin_dir.mkdir()
    scontrol = bin_dir / 'scontrol'
    scontrol.write_text(SCONTROL)
    scontrol.chmod(scontrol.stat().st_mode | stat.S_IXUSR)
    port = support.free_port()
    _options(root, 'slurm', 2, **{'dist_params.port': port})  # with --launcher slurm the YAML's port is used
    procs = []
    for proc_id in (0, 1):  # what srun --ntasks 2 sets in each task
        env = support.trace_env(str(trace), SLURM_PROCID=proc_id, SLURM_NTASKS=2, SLURM_LOCALID=0,
                                SLURM_NODELIST='localhost,cn08',
                                PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
        procs.append(subprocess.Popen([sys.executable, support.TRAIN_SCRIPT, '-opt', 'slurm.yml', '--launcher',
                                       'slurm'], cwd=root, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=400)[0] for p in procs]
    for proc, out in zip(procs, outputs):
        assert proc.returncode == 0, out[-5000:]
    groups = _by_rank(support.read_trace(str(trace)), 'process_group')
    assert sorted(groups) == [0, 1]
    for rank, (group,) in groups.items():
        assert (group['dist_rank'], group['world_size']) == (rank, 2)
        assert (group['MASTER_ADDR'], group['MASTER_PORT'], group['LOCAL_RANK']) == ('localhost', str(port), '0')
    assert (bin_dir / 'scontrol.calls').read_text().splitlines() == ['show hostname localhost,cn08'] * 2
    assert sorted(os.listdir(root / 'experiments' / 'slurm' / 'training_states')) == ['2.state']
