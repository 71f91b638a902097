"""The README's set-up commands: CI runs exactly the test command, and the scripts they name exist."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands():
    text = (ROOT / "README.md").read_text()
    setup = text[text.index("## Set-up"):text.index("## Use")]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_ci_runs_exactly_the_readme_test_command():
    main_job, test = _commands()
    assert main_job == "bash tools/setup.sh && . .venv/bin/activate && kgen train --export"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith(("#", "set ", "cd "))]
    assert ci == [test] == ["bash tools/setup.sh test && .venv/bin/python -m pytest -q -n 2 --dist loadfile"]


def test_the_setup_scripts_parse_and_provision_before_pytest():
    for script in ("tools/setup.sh", "tools/test.sh", "tools/_provision.sh", ".ci/run"):
        assert subprocess.run(["bash", "-n", str(ROOT / script)]).returncode == 0, script
    setup = (ROOT / "tools" / "setup.sh").read_text()
    steps = [setup.index(word) for word in ('pip install --quiet ".', '[ "$extras" = test ] || exit 0',
                                            "apt_install chromium", "apt_install default-jdk-headless",
                                            "kotlin-compiler@")]
    assert steps == sorted(steps)
    # The local loop provisions the same way before its pytest.
    loop = (ROOT / "tools" / "test.sh").read_text()
    assert loop.index("bash tools/setup.sh test") < loop.index("-m pytest -q")
