"""kg installed as a package, not run from a clone: a wheel built from the tree, installed in a fresh venv,
builds the seeds with the ontology and data it carries inside."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_installed_in_a_fresh_venv_builds_the_seeds(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = wheels.glob("kg-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # kg's dependencies (spaCy and its model: hundreds of MB) come from the test environment; kg itself only
    # from the wheel, which sits first on the path, so the clone cannot stand in for anything the wheel lacks
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True,
                   timeout=300)
    where = subprocess.run([str(py), "-c", "import kg, kg.ontology as o, kg.extract.decide as d; print(kg.__file__); "
                            "print(o.ONTOLOGY_DIR); print(d.MODEL_FILE); print(d.load_model().rule_id)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert all(w.startswith(site) for w in where[:3]) and where[3].startswith("model:"), where
    out = tmp_path / "out"
    res = subprocess.run([str(env_dir / "bin" / "kg"), "build", str(ROOT / "seeds"), "--out", str(out)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "2 documents" in res.stdout and (out / "graph.ttl").stat().st_size > 10_000
    assert (out / "graph.html").is_file()
    res = subprocess.run([str(env_dir / "bin" / "kg"), "validate", str(out / "graph.ttl")], capture_output=True,
                         text=True, cwd=tmp_path)
    assert res.returncode == 0 and "conforms" in res.stdout, res.stderr
