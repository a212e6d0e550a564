"The GitHub workflows say what the README says: the report runs by hand on a self-hosted `gpu` runner with the commands a person types."
import yaml

from conftest import REPO


def test_report_workflow_runs_the_report_by_hand_on_a_gpu_runner():
    wf = yaml.safe_load((REPO/'.github'/'workflows'/'report.yml').read_text())
    triggers = wf[True]  # YAML 1.1 reads the key `on` as True
    assert list(triggers) == ['workflow_dispatch'] and triggers['workflow_dispatch']['inputs']['preset']['default'] == 'paper'
    job = wf['jobs']['report']
    assert job['runs-on'] == ['self-hosted', 'gpu'] and job['env']['KERAS_BACKEND'] == 'jax'
    runs = [s.get('run', '') for s in job['steps']]
    assert any(r.strip() == './run.sh report "$DATA" --preset "$PRESET"' for r in runs), runs
    assert any("sys.exit(d[0].platform != \"gpu\")" in r for r in runs)  # no silent CPU run
    upload = next(s for s in job['steps'] if s.get('uses', '').startswith('actions/upload-artifact'))
    assert upload['with']['path'].endswith('/artifact/reports/') and any('--exclude-standard reports' in r for r in runs)
