"Cluster runs (faceobf.cluster) on a local Ray shared by the tests of this file: the same results as the local engine, a killed worker, a killed driver."
import json
import os
import signal
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from conftest import BIN, REPO, run
from faceobf.cluster import obfuscate_job, run_manifest, start_ray
from faceobf.manifest import plan_manifest, manifest_results, log_path, sha256_of, iter_manifest
from faceobf.core import atomic_write, sample_photos, save_photo, is_temp_file


def slow_upper_job(counter, delay=0.2):
    "A stand-in job: notes each call in `counter`, waits `delay` s, writes the input's bytes upper-cased (atomically)."
    def fn(src, dst):
        with open(counter, 'a') as f: f.write(f'{os.getpid()} {src.name}\n')
        time.sleep(delay)
        with atomic_write(dst) as tmp: tmp.write_bytes(src.read_bytes().upper())
        return dict(input=str(src), output=str(dst), status='done', faces=[])
    return fn


def broken_job():
    raise RuntimeError('no models here')


RAY_START_LIMIT = 300  # seconds: on a machine loaded far past its cores Ray's start was once seen to hang, which must not block the suite


@pytest.fixture(scope='module')
def ray_session():
    "One local Ray of two CPUs for every test here (its start takes seconds); this module's jobs travel to it by value."
    import ray
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    started = threading.Event()

    def watchdog():  # Ray must start in this (the main) thread: its processes die with the thread that started them
        if not started.wait(RAY_START_LIMIT):
            sys.stderr.write(f"tests/test_cluster.py: a local Ray did not start in {RAY_START_LIMIT} s (load average "
                             f"{os.getloadavg()[0]:.0f} on {os.cpu_count()} cores); the test run stops here\n")
            os._exit(3)
    threading.Thread(target=watchdog, daemon=True).start()
    start_ray(2)
    started.set()
    yield ray
    ray.shutdown()


def _words(folder, n):
    "`n` small text files named like photos (the stand-in job does not decode them)."
    folder.mkdir(parents=True)
    for k in range(n): (folder/f'p{k:02d}.jpg').write_text(f'photo {k} ' * 20)
    return folder


def _records_so_far(manifest) -> int:
    log = log_path(manifest)
    return log.read_text().count('\n{"id"') if log.exists() else 0


def _final_records(manifest):
    recs = [json.loads(l) for l in log_path(manifest).read_text().splitlines() if l.startswith('{"id"')]
    return [r for r in recs if r['status'] != 'retry']


def _check_outputs(manifest):
    "Every photo done once, with a complete output whose sha256 the log holds; no temporary file left."
    rows = list(iter_manifest(manifest))
    final = _final_records(manifest)
    assert sorted(r['id'] for r in final) == [r['id'] for r in rows]  # exactly one final record each
    for rec, row in zip(sorted(final, key=lambda r: r['id']), rows, strict=True):
        assert rec['status'] == 'done', rec
        assert Path(row['output']).read_bytes() == Path(row['input']).read_bytes().upper()
        assert rec['output_sha256'] == sha256_of(row['output'])
    out = Path(rows[0]['output']).parent
    assert not [p for p in out.iterdir() if is_temp_file(p)]


def test_ray_gives_the_local_outputs_and_reports(ray_session, tmp_path):
    "The command's default job (texture, verified, seed 0) on the sample photos: the same bytes and faces on Ray as in one local process."
    from faceobf.cli import build_parser, obfuscation_options
    for name, photo in sample_photos().items(): save_photo(photo, tmp_path/'in'/f'{name}.png')
    results = {}
    for engine, workers in (('local', 1), ('ray', 2)):
        options = obfuscation_options(build_parser().parse_args(['obfuscate', str(tmp_path/'in'), '-o', str(tmp_path/engine)]))
        plan_manifest([tmp_path/'in'], tmp_path/engine, tmp_path/f'{engine}.jsonl')
        s = run_manifest(tmp_path/f'{engine}.jsonl', partial(obfuscate_job, options), engine=engine, workers=workers, batch_size=1, progress=False)
        assert (s['done'], s['failed'], s['engine'], s['workers']) == (2, 0, engine, workers)
        results[engine] = manifest_results(tmp_path/f'{engine}.jsonl')
    for local, ray in zip(results['local'], results['ray'], strict=True):
        assert Path(local['output']).read_bytes() == Path(ray['output']).read_bytes()
        assert local['output_sha256'] == ray['output_sha256']
        assert local['faces'] == ray['faces'] and local['faces'][0]['method'] == 'texture' and local['faces'][0]['verified']
    assert {r['worker'].split(':')[1] for r in _final_records(tmp_path/'ray.jsonl')} != {str(os.getpid())}


def test_a_killed_ray_worker_costs_only_its_batches(ray_session, tmp_path):
    "One actor's process killed in the middle of a run: Ray restarts it, its in-flight photos are redone, every photo is done once."
    from ray._private.state import actors
    photos, batch = 16, 2
    _words(tmp_path/'in', photos)
    manifest, counter = tmp_path/'m.jsonl', tmp_path/'calls.txt'
    plan_manifest([tmp_path/'in'], tmp_path/'out', manifest)
    killed = []

    def kill_one_actor():
        while _records_so_far(manifest) < 3: time.sleep(0.05)
        working = {int(c.split()[0]) for c in counter.read_text().splitlines()}
        alive = [a for a in actors(actor_state_name='ALIVE').values() if a['ActorClassName'].endswith('_RayWorker') and a['Pid'] in working]
        killed.append((alive[0]['ActorID'], alive[0]['Pid']))
        os.kill(alive[0]['Pid'], signal.SIGKILL)

    killer = threading.Thread(target=kill_one_actor, daemon=True)
    killer.start()
    s = run_manifest(manifest, partial(slow_upper_job, counter, 0.25), engine='ray', workers=2, batch_size=batch, progress=False)
    killer.join(5)
    assert killed, 'no actor was killed'
    assert (s['done'], s['failed'], s['pending'], s['this_run']['retried']) == (photos, 0, 0, 0)
    _check_outputs(manifest)
    calls = counter.read_text().splitlines()
    redone = len(calls) - photos
    assert 0 <= redone <= 2 * batch, calls  # at most the two batches the killed actor held
    assert str(killed[0][1]) in {c.split()[0] for c in calls}  # it was working when it was killed
    assert actors(actor_id=killed[0][0])['NumRestarts'] == 1  # Ray restarted it


DRIVER = """
import sys
from functools import partial
sys.path.insert(0, {tests!r})
from test_cluster import slow_upper_job
from faceobf.cluster import run_manifest
run_manifest({manifest!r}, partial(slow_upper_job, {counter!r}, 0.3), progress=False)
"""


def test_a_killed_driver_resumes_with_only_the_rest(tmp_path):
    "A local run killed with SIGKILL, resumed from its manifest on a process pool: only the photos without a record are done."
    photos = 12
    _words(tmp_path/'in', photos)
    manifest, counter = tmp_path/'m.jsonl', tmp_path/'calls.txt'
    plan_manifest([tmp_path/'in'], tmp_path/'out', manifest)
    code = DRIVER.format(tests=str(REPO/'tests'), manifest=str(manifest), counter=str(counter))
    driver = subprocess.Popen([sys.executable, '-c', code], cwd=tmp_path)
    deadline = time.time() + 60
    while _records_so_far(manifest) < 4 and time.time() < deadline: time.sleep(0.02)
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    recorded = len(_final_records(manifest))
    assert 4 <= recorded < photos
    first_calls = len(counter.read_text().splitlines())
    s = run_manifest(manifest, partial(slow_upper_job, counter, 0.0), workers=2, progress=False)
    assert (s['done'], s['this_run']['done'], s['failed']) == (photos, photos - recorded, 0)
    assert len(counter.read_text().splitlines()) - first_calls == photos - recorded  # the second run did only the rest
    _check_outputs(manifest)


def test_ray_refuses_what_it_cannot_run(ray_session, tmp_path):
    "A job that cannot be built stops the run before any record; memory:// photos cannot reach another process."
    import fsspec
    _words(tmp_path/'in', 2)
    plan_manifest([tmp_path/'in'], tmp_path/'out', tmp_path/'m.jsonl')
    with pytest.raises(RuntimeError, match='could not build its job.*no models here'):
        run_manifest(tmp_path/'m.jsonl', broken_job, engine='ray', workers=1, progress=False)
    assert not [l for l in log_path(tmp_path/'m.jsonl').read_text().splitlines() if l.startswith('{"id"')]
    with fsspec.open('memory://cluster-test/a.jpg', 'wb') as f: f.write(b'x')
    plan_manifest(['memory://cluster-test'], tmp_path/'mem', tmp_path/'mem.jsonl')
    with pytest.raises(ValueError, match="memory:// photos live in this process only"):
        run_manifest(tmp_path/'mem.jsonl', broken_job, engine='ray', workers=1, progress=False)


def test_benchmark_script_explains_itself(tmp_path):
    script = REPO/'scripts'/'cluster_benchmark.py'
    assert run(BIN/'python', script, '--help', check=True).stdout.strip()
    res = run(BIN/'python', script, tmp_path)
    assert res.returncode != 0 and 'no celeba-wild-dev' in res.stderr and 'Traceback' not in res.stderr, res.stderr
