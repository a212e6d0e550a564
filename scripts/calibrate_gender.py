"""Where the shipped attribute classifier should take a face in a photo for a man's: its Male reading on in-the-wild photos against CelebA's labels.

Usage: python scripts/calibrate_gender.py DATA_ROOT [--out reports/generation]

Reads the largest detected face of every photo of DATA_ROOT/celeba-wild-dev (and, for comparison, of the test split of
DATA_ROOT/celeba-6k: CelebA's aligned photos), aligned as faceobf aligns a face, with the
shipped classifier (`faceobf/models/fac.keras`), once as it is and once mirrored, and compares the mean of the two
readings with CelebA's Male label. For thresholds from 0.30 to 0.95 it counts women read as men and men read as women;
the threshold where the two error rates are closest ("equal error") is chosen on the people with even CelebA identity
numbers and checked on those with odd ones, and the other way round, and then on all of them. Writes OUT/gender.md and
OUT/gender.json. The texture method's `MALE_THRESHOLD` (nbs/05f_texture.ipynb) is the whole set's equal-error point.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

THRESHOLDS = np.round(np.arange(0.30, 0.951, 0.01), 2)


def errors(p, man, t) -> dict:
    "Women read as men and men read as women at threshold `t` (mirrored-mean probabilities `p`, labels `man`)."
    return dict(threshold=float(t), women_as_men=float((p[~man] >= t).mean()), men_as_women=float((p[man] < t).mean()),
                accuracy=float(((p >= t) == man).mean()))


def equal_error(p, man) -> float:
    "The threshold of `THRESHOLDS` where the two error rates are closest."
    return float(min(THRESHOLDS, key=lambda t: abs((p[~man] >= t).mean() - (p[man] < t).mean())))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('data_root', help='folder holding celeba-wild-dev/ (CelebA format)')
    ap.add_argument('--out', default='reports/generation', help='folder of gender.md/.json (default: %(default)s)')
    args = ap.parse_args(argv)
    folder = Path(args.data_root)/'celeba-wild-dev'
    if not folder.is_dir(): raise SystemExit(f"calibrate_gender: no {folder} here; see data/README.md for how to get CelebA")

    from faceobf.core import read_photo, attribute_index, environment, markdown_table, write_report
    from faceobf.dataset import load_celeba
    from faceobf.landmarks import detect_faces, align_face
    from faceobf.attributes import predict_attributes
    from faceobf.generate.texture import load_classifier, read_attributes, MALE_THRESHOLD
    from faceobf.evaluate.generators import load_judge
    t0 = time.time()
    fac = load_classifier(); size = tuple(int(v) for v in fac.input_shape[1:3]); male = attribute_index('Male')
    judge = load_judge()[0]  # the grader of 07d and texture_measures: read for comparison, never chosen by
    def read(folder, rows_of=None):
        "`(identity, man, one crop, mirrored mean (as the texture method reads), the judge)` arrays of the largest face of each photo of `folder` (rows `rows_of` of its index)."
        index = load_celeba(folder)
        rows = []
        for n, k in enumerate(range(len(index.files)) if rows_of is None else rows_of(index)):
            photo = read_photo(index.image_dir/str(index.files[k])); faces = detect_faces(photo)
            if not faces: continue
            crop = align_face(photo, faces[0], size).crop
            rows.append((int(index.identity[k]), bool(index.attrs[k, male] > 0), float(predict_attributes(fac, crop[None])[0, male]),
                         float(read_attributes(fac, crop)[0][0, male]), float(predict_attributes(judge, crop[None])[0, male])))
            if n % 200 == 0: print(f'  {folder.name} {n}', file=sys.stderr)
        if not rows: raise SystemExit(f'calibrate_gender: no face found in {folder}')
        return tuple(np.array(column) for column in zip(*rows, strict=True))
    ident, man, plain, mean, judged = read(folder)

    def readings(man, plain, mean, judged, more:dict=None) -> dict:
        "Errors of each reading: one crop and the mirrored mean at 0.5, the mirrored mean at each of `more` (name -> threshold) and at `MALE_THRESHOLD`, the judge."
        return {'one crop, 0.5': errors(plain, man, 0.5), 'mirrored mean, 0.5': errors(mean, man, 0.5),
                **{f'mirrored mean, {k}': errors(mean, man, t) for k, t in (more or {}).items()},
                f'mirrored mean, {MALE_THRESHOLD:.2f} (shipped)': errors(mean, man, MALE_THRESHOLD),
                "the judge (07d's grader), one crop, 0.5": errors(judged, man, 0.5)}
    as_rows = lambda found: [{'reading': k, 'women read as men': f"{v['women_as_men']:.1%}", 'men read as women': f"{v['men_as_women']:.1%}",
                              'accuracy': f"{v['accuracy']:.1%}"} for k, v in found.items()]
    aligned = Path(args.data_root)/'celeba-6k'
    celeba = read(aligned, lambda index: np.flatnonzero(index.split == 2)) if aligned.is_dir() else None

    halves = {}
    for name, part in (('even', 0), ('odd', 1)):
        fit = ident % 2 == part
        t = equal_error(mean[fit], man[fit])
        halves[f'chosen on {name} identities'] = dict(threshold=t, checked_on='the other half', at_threshold=errors(mean[~fit], man[~fit], t),
                                                      at_0_5=errors(mean[~fit], man[~fit], 0.5))
    t_all = equal_error(mean, man)
    data = dict(command='python scripts/calibrate_gender.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
                faces=len(man), men=int(man.sum()), people=int(len(set(ident))), equal_error_threshold=t_all, shipped_threshold=MALE_THRESHOLD,
                readings=readings(man, plain, mean, judged, {f'{t_all:.2f} (equal error)': t_all}),
                halves=halves, environment=environment())
    if celeba is not None:
        _, cman, cplain, cmean, cjudged = celeba
        data['celeba_6k_test'] = dict(faces=len(cman), men=int(cman.sum()), readings=readings(cman, cplain, cmean, cjudged))
    data['seconds'] = round(time.time() - t0, 1)
    table = as_rows(data['readings'])
    for k, v in halves.items():
        for at in ('at_0_5', 'at_threshold'):
            e = v[at]
            table += as_rows({f"{k}, checked on the other half: mirrored mean, {e['threshold']:.2f}": e})
    aligned_md = ''
    if celeba is not None:
        c = data['celeba_6k_test']
        aligned_md = f"""
On CelebA's own aligned photos (the {c['faces']} faces of the `celeba-6k` test split, {c['men']} of men), the kind of photo the
classifier learnt from, the two errors are about even at 0.5, and the threshold set for people's photos takes more men for women:

{markdown_table(as_rows(c['readings']))}
"""
    md = f"""# Reading a face's gender in a photo

{markdown_table(table)}

The shipped attribute classifier's Male reading of the largest face in each of {data['faces']} `celeba-wild-dev` photos
({data['people']} people, {data['men']} photos of men by CelebA's labels) against CelebA's label. one crop: the face aligned as
faceobf aligns it; mirrored mean: the mean of that reading and the reading of the crop mirrored. The classifier was trained
on CelebA's aligned faces; on in-the-wild photos it takes more women for men than men for women at 0.5. The equal-error
threshold over all faces is {t_all:.2f}; chosen on one half of the people (by CelebA identity number) and checked on the
other, it evens the two errors out there too, with no loss of accuracy. The texture method reads the original's gender and checks the new face's as the
mirrored mean against `MALE_THRESHOLD` = {MALE_THRESHOLD:.2f} (`nbs/05f_texture.ipynb`). The judge, the independent classifier
that grades the generators' `Male` (`nbs/07d_generators.ipynb`, `scripts/texture_measures.py`), is read beside it for
comparison: where it misreads an original, a new face of the right gender counts against the generator.
{aligned_md}
Command: `{data['command']}`. Machine: {data['environment']['machine']}; {data['seconds']:.0f} s.
"""
    write_report(Path(args.out), 'gender', md, data)
    print(md)


if __name__ == '__main__':
    main()
