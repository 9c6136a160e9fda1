#!/usr/bin/python3
"""Every ```sh block of README.md and docs/*.md runs as written and exits 0.

    shell_blocks_test.py DSGD_DIR SOURCE_DIR

Each document's blocks run in order, with bash -euo pipefail, in one scratch folder of their own that
holds a copy of examples/ (the shipped data files), with DSGD_DIR (the built dsgd) first on
PATH, HOME in the scratch folder (nothing written outside it) and Open MPI allowed to run as
root. A block right after the line `<!-- not run by the docs test: WHY -->` is skipped and
listed with its reason: the README's set-up commands, which CI itself runs (.ci/run runs
scripts/install and scripts/run-tests; the python_pip_install test runs pip install).
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

dsgd_dir, source = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
documents = [source / "README.md", *sorted((source / "docs").glob("*.md"))]
block = re.compile(r"(?:^<!-- not run by the docs test: (?P<why>[^>]*) -->\n)?^```sh\n(?P<body>.*?)^```$",
                   re.MULTILINE | re.DOTALL)
failures, ran, skipped = [], 0, []
for doc in documents:
    text = doc.read_text()
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="dsgd_docs_"))
    shutil.copytree(source / "examples", scratch / "examples", symlinks=False)
    (scratch / "home").mkdir()
    env = dict(os.environ, PATH=f"{dsgd_dir}:{os.environ['PATH']}", HOME=str(scratch / "home"),
               XDG_CACHE_HOME=str(scratch / "home" / ".cache"), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    for match in block.finditer(text):
        line = text.count("\n", 0, match.start("body"))
        where = f"{doc.relative_to(source)}:{line}"
        if match.group("why"):
            skipped.append(f"{where}: {match.group('why').strip()}")
            continue
        try:
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", match.group("body")], cwd=scratch, env=env,
                                 capture_output=True, text=True, timeout=300)
            code, err = run.returncode, run.stderr
        except subprocess.TimeoutExpired:
            code, err = "timeout", "ran past 300 s"
        ran += 1
        if code != 0:
            failures.append(f"{where}: exit {code}\n{match.group('body')}--- stderr:\n{err[-2000:]}")
    shutil.rmtree(scratch)
for s in skipped:
    print(f"skipped {s}")
if failures:
    print("\n\n".join(failures))
    sys.exit(1)
print(f"ok: {ran} shell blocks of {len(documents)} documents ran")
