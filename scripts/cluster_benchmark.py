"""Photos per second through a manifest on the local process pool and on a local Ray, where the time of a photo goes, and
what a manifest costs per million photos.

    .venv/bin/python scripts/cluster_benchmark.py ../shared/data [--photos 60] [--workers 2] [--split-photos 20]
                                                  [--manifest-rows 1000000] [--report reports/cluster]

On the first `--photos` photos of celeba-wild-dev (sorted by name) it plans one manifest per engine and runs it with the
command's default job (`faceobf obfuscate`'s options: generative, donor geometry, verified, seed 0), first on
`core.ProcessPool` (engine 'local'), then on a local Ray started for the run (engine 'ray'), each with `--workers`
workers, and compares the outputs byte for byte and the per-face reports. Start-up (building the models in every worker;
for Ray also starting Ray) is timed apart from the photos. Then, in one process, it times the parts of the job on
`--split-photos` photos (decode, detection and alignment, generation, verification, paste and the rest, encode), and
writes and reads a manifest and log of `--manifest-rows` rows made from the real ones. Writes benchmark.md and .json and
plan.md (ten million photos on paper, from these numbers) into --report. The outputs are written to a temporary folder
and deleted: they are CelebA photos.
"""
import argparse, json, os, shutil, sys, tempfile, time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed_split(obf, files, out_dir):
    "CPU seconds per photo in each part of the job, run in this process on `files` (after one warm-up photo)."
    import faceobf.generate.obfuscator as gen
    from faceobf.core import decode_photo, save_photo
    parts = dict.fromkeys(['decode', 'detection', 'alignment', 'generation', 'verification', 'paste and the rest', 'encode'], 0.0)

    inside = set()  # parts being timed now: a call within a call of the same part is counted once

    def clocked(fn, part):
        def wrapper(*a, **k):
            if part in inside: return fn(*a, **k)
            inside.add(part); t = time.process_time()
            try: return fn(*a, **k)
            finally: parts[part] += time.process_time() - t; inside.discard(part)
        return wrapper

    class Method:  # the method, timed (the verification runs in the Obfuscator, timed apart)
        def __init__(self, m): self.m = m
        def __getattr__(self, name): return getattr(self.m, name)
        def __call__(self, *a, **k): return clocked(self.m, 'generation')(*a, **k)
    obf.find_faces = clocked(obf.find_faces, 'detection')
    obf.distance = clocked(obf.distance, 'verification')
    gen.face_embedding, gen.align_face = clocked(gen.face_embedding, 'verification'), clocked(gen.align_face, 'alignment')
    obf.method = Method(obf.method)
    obf(decode_photo(files[0])[0])  # warm-up: the network's first call builds its graph
    for k in parts: parts[k] = 0.0
    total = 0.0
    for f in files[1:]:
        t = time.process_time()
        pixels = clocked(decode_photo, 'decode')(f)[0]
        new, _ = obf(pixels)
        clocked(save_photo, 'encode')(new, out_dir/f'{f.stem}.jpg')
        total += time.process_time() - t
    parts['paste and the rest'] = total - sum(v for k, v in parts.items() if k != 'paste and the rest')
    n = len(files) - 1
    return {k: v / n for k, v in parts.items()}, total / n


def per_photo_seconds(manifest) -> dict:
    "Mean wall-clock and CPU seconds of a photo on a worker, from the log's records, each worker's first photo (its warm-up) left out."
    from faceobf.manifest import log_path
    recs = [json.loads(l) for l in log_path(manifest).read_text().splitlines() if l.startswith('{"id"')]
    seen, kept = set(), []
    for r in recs:
        if r['worker'] in seen and r['status'] == 'done': kept.append(r)
        seen.add(r['worker'])
    return dict(wall=sum(r['seconds'] for r in kept) / len(kept), cpu=sum(r['cpu_seconds'] for r in kept) / len(kept), photos=len(kept))


def manifest_costs(template_row, template_record, rows, folder):
    "Seconds and bytes to write a manifest and a log of `rows` rows like the templates, and to scan them as a resumed run does."
    from faceobf.cluster import run_manifest
    from faceobf.manifest import RunLog, log_path, iter_manifest, sha256_of
    m = folder/'synthetic.jsonl'
    t = time.perf_counter()
    with open(m, 'w') as f: f.writelines(json.dumps(dict(template_row, id=k)) + '\n' for k in range(rows))
    write_manifest = time.perf_counter() - t
    t = time.perf_counter()
    with RunLog(log_path(m)) as log:
        log.write(dict(run=1, manifest_sha256=sha256_of(m)))
        for k in range(rows): log.write(dict(id=k, **template_record))  # "id" first, "status" second, as the reader wants
    write_log = time.perf_counter() - t
    t = time.perf_counter()
    s = run_manifest(m, None, progress=False)  # everything is done: the scan of a resumed run, and no worker started
    resume_scan = time.perf_counter() - t
    assert s['done'] == rows and s['pending'] == 0, s
    t = time.perf_counter()
    sum(1 for _ in iter_manifest(m))
    parse_pass = time.perf_counter() - t
    out = dict(rows=rows, manifest_bytes=m.stat().st_size, log_bytes=log_path(m).stat().st_size, write_manifest_s=write_manifest,
               write_log_s=write_log, log_write_us_per_photo=write_log / rows * 1e6, resume_scan_s=resume_scan, manifest_parse_pass_s=parse_pass)
    m.unlink(); log_path(m).unlink()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data', help='folder holding celeba-wild-dev (e.g. ../shared/data)')
    ap.add_argument('--photos', type=int, default=60, help='photos run on each engine')
    ap.add_argument('--workers', type=int, default=2, help='workers of each engine (one per core)')
    ap.add_argument('--split-photos', type=int, default=20, help='photos timed part by part in one process')
    ap.add_argument('--manifest-rows', type=int, default=1_000_000, help='rows of the synthetic manifest and log')
    ap.add_argument('--ray-tries', type=int, default=3, help='tries to start the local Ray (its start times out on a busy machine)')
    ap.add_argument('--price', type=float, default=0.05, help='assumed price of one CPU core for an hour, in dollars, for plan.md')
    ap.add_argument('--report', default='reports/cluster', help='folder for benchmark.md, benchmark.json and plan.md')
    ap.add_argument('--pages-only', action='store_true', help="write benchmark.md and plan.md again from --report's benchmark.json, measuring nothing")
    a = ap.parse_args()
    if a.pages_only:
        from faceobf.core import write_report
        data = json.loads((Path(a.report)/'benchmark.json').read_text())
        write_report(a.report, 'benchmark', benchmark_page(data)); write_report(a.report, 'plan', plan_page(data, a.price))
        return
    photos_dir = Path(a.data)/'celeba-wild-dev'/'img_celeba'
    if not photos_dir.is_dir(): sys.exit(f"{a.data}: no celeba-wild-dev here; see data/README.md for the development sets")
    files = sorted(photos_dir.glob('*.jpg'))[:a.photos]
    if len(files) < a.photos: sys.exit(f"{photos_dir}: {len(files)} photos, fewer than --photos {a.photos}")
    import ray
    from faceobf.cli import build_parser, obfuscation_options
    from faceobf.cluster import run_manifest, obfuscate_job, start_ray
    from faceobf.manifest import plan_manifest, manifest_results, log_path
    from faceobf.core import environment, write_report
    env, load = environment(), {}
    work = Path(tempfile.mkdtemp(prefix='faceobf-cluster-bench-'))
    try:
        runs, results = {}, {}
        for engine in ('local', 'ray'):
            out, manifest = work/engine, work/f'{engine}.jsonl'
            t = time.perf_counter()
            plan = plan_manifest(files, out, manifest)
            plan_s = time.perf_counter() - t
            options = obfuscation_options(build_parser().parse_args(['obfuscate', *map(str, files), '-o', str(out)]))
            load[engine] = os.getloadavg()[0]
            ray_start = 0.0
            if engine == 'ray':
                t = time.perf_counter(); start_ray(a.workers, tries=a.ray_tries); ray_start = time.perf_counter() - t
            s = run_manifest(manifest, partial(obfuscate_job, options), engine=engine, workers=a.workers, progress=False)
            if engine == 'ray': ray.shutdown()
            assert s['done'] + s['skipped'] + s['failed'] == a.photos and s['pending'] == 0, s
            work_s = s['seconds'] - s['startup_seconds']
            runs[engine] = dict(engine=engine, workers=a.workers, photos=a.photos, done=s['done'], failed=s['failed'], plan_s=plan_s,
                                plan_bytes=plan['bytes'], ray_start_s=ray_start, startup_s=s['startup_seconds'], photos_s=work_s,
                                photos_per_s=s['photos_per_second'], wall_s=ray_start + s['seconds'], load_before=load[engine],
                                per_photo=per_photo_seconds(manifest))
            results[engine] = manifest_results(manifest)
            if engine == 'ray': record = next(l for l in log_path(manifest).read_text().splitlines() if '"status": "done"' in l)
        same_bytes = sum(l['output_sha256'] == r['output_sha256'] for l, r in zip(results['local'], results['ray']) if l['status'] == 'done')
        same_faces = sum(l.get('faces') == r.get('faces') for l, r in zip(results['local'], results['ray']))
        faces = [f for r in results['local'] for f in r.get('faces', [])]
        ratio = runs['ray']['photos_per_s'] / runs['local']['photos_per_s']
        wall_ratio = runs['local']['wall_s'] / runs['ray']['wall_s']
        # the parts of one photo, in this process
        obf = obfuscate_job(obfuscation_options(build_parser().parse_args(['obfuscate', 'x']))).args[0].args[0]  # the Obfuscator inside the command's job
        split_files = files[:a.split_photos + 1]
        split, per_photo = timed_split(obf, split_files, work/'split')
        from faceobf.manifest import sha256_of
        t = time.perf_counter()
        for f in files: sha256_of(f)
        hash_mb_s = sum(f.stat().st_size for f in files) / (time.perf_counter() - t) / 1e6  # one thread, files in the page cache
        rec = json.loads(record); rec.pop('id')
        costs = manifest_costs(json.loads((work/'ray.jsonl').read_text().splitlines()[0]), rec, a.manifest_rows, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    data = dict(command=f"scripts/cluster_benchmark.py {a.data} --photos {a.photos} --workers {a.workers} --split-photos {a.split_photos} "
                        f"--manifest-rows {a.manifest_rows}", data=f"{a.data}/celeba-wild-dev/img_celeba, the first {a.photos} photos by name",
                date=time.strftime('%Y-%m-%d'), runs=runs, ray_over_local_rate=ratio, local_over_ray_wall=wall_ratio,
                identical_outputs=same_bytes, same_face_reports=same_faces, faces=len(faces),
                retried=sum(f.get('tries', 1) > 1 for f in faces), masked=sum(f['method'] == 'mask' for f in faces),
                split_seconds_per_photo=split, split_photos=len(split_files) - 1, one_process_seconds_per_photo=per_photo,
                manifest=costs, hash_mb_per_s=hash_mb_s, environment=env, ray=ray.__version__)
    write_report(a.report, 'benchmark', benchmark_page(data), data, root=REPO)
    write_report(a.report, 'plan', plan_page(data, a.price), None, root=REPO)
    print(f"ray/local photos per second after start-up: {ratio:.2f}; identical outputs {same_bytes}/{a.photos}; pages in {a.report}")


def benchmark_page(d):
    from faceobf.core import markdown_table
    r = d['runs']
    rows = [{'engine': k, 'workers': v['workers'], 'photos': v['photos'], 'Ray start (s)': f"{v['ray_start_s']:.1f}" if k == 'ray' else '-',
             'workers ready (s)': f"{v['startup_s']:.1f}", 'photos (s)': f"{v['photos_s']:.1f}", 'photos/s after start-up': f"{v['photos_per_s']:.2f}",
             'wall, all in (s)': f"{v['wall_s']:.1f}", 'a photo on a worker: wall / CPU (s)': f"{v['per_photo']['wall']:.2f} / {v['per_photo']['cpu']:.2f}",
             'load average before': f"{v['load_before']:.1f}"} for k, v in r.items()]
    split, total = d['split_seconds_per_photo'], sum(d['split_seconds_per_photo'].values())
    srows = [{'part': k, 'CPU ms per photo': f"{v * 1000:.0f}", 'share': f"{v / total:.0%}"} for k, v in split.items()]
    m = d['manifest']
    mrows = [{'what': 'manifest (JSON lines)', 'bytes per photo': f"{m['manifest_bytes'] / m['rows']:.0f}",
              'per million photos': f"{m['manifest_bytes'] / m['rows'] * 1e6 / 1e6:.0f} MB, written in {m['write_manifest_s'] / m['rows'] * 1e6:.1f} s"},
             {'what': 'log (one record per photo, with its faces)', 'bytes per photo': f"{m['log_bytes'] / m['rows']:.0f}",
              'per million photos': f"{m['log_bytes'] / m['rows'] * 1e6 / 1e6:.0f} MB, written in {m['write_log_s'] / m['rows'] * 1e6:.1f} s "
                                    f"({m['log_write_us_per_photo']:.0f} us per photo, by the driver)"},
             {'what': 'resume scan (count, hash the manifest, read the log, one pass over the manifest)', 'bytes per photo': '-',
              'per million photos': f"{m['resume_scan_s'] / m['rows'] * 1e6:.1f} s"},
             {'what': 'one more pass over the manifest (a resumed run with work left makes two)', 'bytes per photo': '-',
              'per million photos': f"{m['manifest_parse_pass_s'] / m['rows'] * 1e6:.1f} s"}]
    env = d['environment']
    threads_note = (f"The two runs ran one after the other on a machine shared with other jobs, so the ratio depends on the load during each "
                    f"as much as on the engines; the CPU seconds of a photo on a worker compare the engines' own work: Ray's workers took "
                    f"{r['ray']['per_photo']['cpu'] / r['local']['per_photo']['cpu']:.2f} times the local pool's.")
    return f"""# Cluster runs: the local pool and Ray on the same photos

Written by `{d['command']}` on {d['date']}. Data: `{d['data']}` ({r['local']['plan_bytes'] / r['local']['photos'] / 1024:.0f} KiB a photo
on average). Machine: {env['machine']}, **shared with other jobs**: the load average before each run is in the table (a load of 12 on 2
cores leaves each process about a sixth of a core), so the wall-clock rates below are far under what the machine does alone; the CPU
seconds of a photo do not depend on that. Python {env['python']}, Keras {env['keras']} on {env['backend']}, Ray {d['ray']}. Job: the
`obfuscate` command's default (generative, donor geometry, verified by dlib, seed 0), built once per worker; each engine had
{r['local']['workers']} workers. "A photo on a worker" is the mean over the photos of each worker after its first (which builds the
network's graph), from the run's log.

{markdown_table(rows)}

**Ray's overhead:** after start-up Ray ran the photos at {d['ray_over_local_rate']:.2f} times the local pool's rate, in one run on the same
photos; all in (start-up included, which for Ray means starting Ray itself) the local run took {d['local_over_ray_wall']:.2f} of Ray's time.
The start-up is paid once per run, the rate on every photo. {threads_note}

**The same results:** {d['identical_outputs']} of {r['local']['photos']} outputs byte-identical between the two engines, {d['same_face_reports']}
of {r['local']['photos']} per-face reports equal ({d['faces']} faces, {d['retried']} retried with another donor, {d['masked']} masked).

## Where a photo's time goes

One process, the same job, {d['split_photos']} photos after a warm-up photo, in CPU time of the process:
{d['one_process_seconds_per_photo'] * 1000:.0f} ms a photo in all. Detection is dlib's HOG detector on the whole photo; alignment the
128x64 crop; generation the attribute classifier, the donor shape and the U-Net for each try; verification dlib's face-recognition
embedding of the original face and of each try.

{markdown_table(srows)}

## What the manifest costs

Measured on a manifest and a log of {m['rows']:,} rows made from this run's rows (its paths, sizes, and a real record with
its faces); per million photos:

{markdown_table(mrows)}
"""


def plan_page(d, price):
    from faceobf.core import markdown_table
    r, m = d['runs'], d['manifest']
    n = 10_000_000
    c = r['ray']['per_photo']['cpu']  # CPU seconds of a photo on a Ray worker
    rate = 1 / c  # photos a second of a worker with a core to itself
    wall_rate = r['ray']['photos_per_s'] / r['ray']['workers']
    core_hours = n * c / 3600
    rows = []
    for hours in (24, 72, 168):
        w = -(-n // int(rate * 3600 * hours))
        rows.append({'finish in (T)': f'{hours} h', 'workers (cores) = N / (r x 3600 x T)': f'{w:,}', 'machines of 32 cores': f'{-(-w // 32):,}',
                     'core-hours': f'{core_hours:,.0f}', f'cost at ${price}/core-hour': f'${core_hours * price:,.0f}'})
    split, total = d['split_seconds_per_photo'], sum(d['split_seconds_per_photo'].values())
    big = [k for k, v in sorted(split.items(), key=lambda kv: -kv[1])]
    per_photo_bytes = r['local']['plan_bytes'] / r['local']['photos']
    hash_rate = d['hash_mb_per_s']
    return f"""# Ten million photos on a cluster, on paper

From the numbers of [benchmark.md](benchmark.md) (`{d['command']}`, {d['date']}). Every figure below is a formula over them, written
out, so that a measure on other photos or another machine changes the inputs, not the method. Assumptions are marked as such.

## Workers and hours

The cost of a photo is its CPU time on a worker: **c = {c:.2f} CPU seconds** (the mean over the Ray workers' photos after their first;
the local pool's processes took {r['local']['per_photo']['cpu']:.2f}). A worker with a core to itself therefore does
**r = 1 / c = {rate:.2f} photos a second**. (The wall-clock rate measured here, {r['ray']['photos_per_s']:.2f} photos a second on
{r['ray']['workers']} workers = {wall_rate:.2f} per worker, is lower because the machine was shared: load average
{r['ray']['load_before']:.0f} on 2 cores.) These are photos of {per_photo_bytes / 1024:.0f} KiB, 640 pixels on the long side at most,
with about one face each; photos of a camera (12 MP) cost more, since detection grows with the pixels unless the photo is scaled down
first, and each further face costs its generation and verification again: measure `c` on a sample of the real collection (this
script, on a folder of it) before sizing a cluster. The formulas stay. A cross-check from another command: the README's
`time ./run.sh faceobf obfuscate ../shared/data/celeba-wild-dev/img_celeba -o OUT` (all 1,382 photos, 2 processes, start-up included,
on a quieter day) took 287 s, that is 2 x 287 / 1382 = 0.42 core-seconds a photo in wall-clock time; planning with that instead of `c`
multiplies the workers and the cost by 0.42 / c.

- core-hours = N x c / 3600 = 10,000,000 x {c:.2f} / 3600 = **{core_hours:,.0f}**
- workers for T hours = N / (r x 3600 x T)
- cost per photo = c x price per core-hour / 3600 = {c:.2f} x ${price} / 3600 = **${c * price / 3600:.6f}**
  (**${c * price / 3600 * 1e6:,.0f} per million photos**), at an *assumed* ${price} per core-hour (`--price`)

{markdown_table(rows)}

Paid once per run and worker, not per photo: starting Ray ({r['ray']['ray_start_s']:.0f} s here, on a busy machine) and each worker's
models ({r['ray']['startup_s']:.0f} s until every worker had built its job); at a thousand workers these are minutes against hours. Ray's
overhead per photo, measured on one machine against the local pool in the same run, is a ratio of {d['ray_over_local_rate']:.2f} in
photos a second, and {r['ray']['per_photo']['cpu'] / r['local']['per_photo']['cpu']:.2f} in CPU seconds a photo. A cluster adds the reading of each photo from the shared file system or object
store, {per_photo_bytes / 1024:.0f} KiB a photo here.

## Where the time goes

One photo's {total * 1000:.0f} CPU ms in one process: {', '.join(f"{k} {split[k] / total:.0%}" for k in big)}. Verification (dlib's
face-recognition network on the original face and on every try) is the largest part, then detection; generation is the smaller
part of the models' work, and reading and writing the photo are small. A run is bound by the CPUs in these models: more cores shorten
it, faster storage does not, and the next lever is running the networks on an accelerator, to be measured before it is planned.

## The manifest at ten million photos

Measured per million rows, multiplied by ten:

| what | per million (measured) | at 10 million |
|---|---|---|
| manifest file | {m['manifest_bytes'] / m['rows']:.0f} bytes a photo, {m['manifest_bytes'] / m['rows']:.0f} MB | {m['manifest_bytes'] / m['rows'] * n / 1e9:.1f} GB |
| log file (with every face's report) | {m['log_bytes'] / m['rows']:.0f} bytes a photo, {m['log_bytes'] / m['rows']:.0f} MB | {m['log_bytes'] / m['rows'] * n / 1e9:.1f} GB |
| the driver's time to record photos | {m['write_log_s'] / m['rows'] * 1e6:.1f} s | {m['write_log_s'] / m['rows'] * n / 60:.1f} min over the whole run ({m['log_write_us_per_photo']:.0f} us a photo: one driver keeps up with {1e6 / m['log_write_us_per_photo']:,.0f} photos a second, {1e6 / m['log_write_us_per_photo'] / rate:,.0f} workers) |
| resume scan, no work left | {m['resume_scan_s'] / m['rows'] * 1e6:.1f} s | {m['resume_scan_s'] / m['rows'] * n / 60:.1f} min |
| resume scan with work left (two more passes) | {(m['resume_scan_s'] + 2 * m['manifest_parse_pass_s']) / m['rows'] * 1e6:.1f} s | {(m['resume_scan_s'] + 2 * m['manifest_parse_pass_s']) / m['rows'] * n / 60:.1f} min |
| the driver's memory for the state | 2 bytes a photo | 20 MB |

Planning reads and hashes every photo once: sha256 ran at {hash_rate:.0f} MB/s here (one thread, {r['local']['photos']} photos in the page
cache, a busy machine; `plan_manifest` hashes in 4 threads), so ten million photos like these ({per_photo_bytes * n / 1e9:.0f} GB) take {per_photo_bytes * n / 1e6 / hash_rate / 3600:.1f} h on one
machine at that rate; a collection of camera photos (a few MB each, tens of TB) is bound by the storage's read rate. Plan such a
collection in shards, one manifest per top folder, each run on its own: `plan_manifest` holds its list of photos in memory, while a run
streams its manifest and never holds it whole.

## What a run guarantees at that size

Every photo ends as one final record in the log: done with its output's sha256, skipped with why, or failed with why after one retry.
A killed worker costs the batches it held (`batch_size` photos, two batches a worker), which Ray runs again on the restarted actor; a
killed driver costs the photos in flight, which the next run of the same command does again, and nothing else
(`tests/test_cluster.py` kills both).
"""


if __name__ == '__main__':
    main()
