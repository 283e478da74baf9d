#!/usr/bin/env python3
"""Runs the README's tour against the real `patron-services serve --demo`, as a reader would.

Takes the shell block after the `<!-- tour` marker in README.md, starts `serve --demo` (reusing the
reliability harness's Service: its own folder, embedded PostgreSQL, a free loopback port), pastes the
`export …` line the service printed, runs the block in bash with B pointing at the service, and checks
that every `#   ⇒ text` line of a step appears in that step's output. Steps start at `# N.` comments.
Usage: python3 Tests/tour/run.py [path to binary]
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location("reliability", os.path.join(ROOT, "Tests", "reliability", "run.py"))
reliability = importlib.util.module_from_spec(spec)
spec.loader.exec_module(reliability)


def tour_block(readme):
    marker = readme.index("<!-- tour")
    match = re.search(r"```sh\n(.*?)\n```", readme[marker:], re.S)
    return match.group(1)


def steps(block):
    """[(number, title, [expected texts])] and the block with an echo marker before each step."""
    found, lines = [], []
    for line in block.split("\n"):
        heading = re.match(r"# (\d+)\. (.*)", line)
        if heading:
            found.append((heading.group(1), heading.group(2), []))
            lines.append(f"echo '@@step {heading.group(1)}'")
        expectation = re.match(r"#\s+⇒ (.*)", line)
        if expectation:
            found[-1][2].append(expectation.group(1).strip())
        lines.append(line)
    return found, "\n".join(lines)


def main():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        block = tour_block(f.read())
    expected, script = steps(block)
    assert len(expected) >= 10 and sum(len(e) for _, _, e in expected) >= 15, "the tour lost its steps or its ⇒ lines"
    folder = tempfile.mkdtemp(prefix="ps-tour-")
    service = reliability.Service(folder)
    try:
        exports = service.credentials.get("exports")
        assert exports, "serve --demo printed no export line"
        run = subprocess.run(["bash", "-c", exports + "\n" + script], capture_output=True, text=True, timeout=300,
                             env=dict(os.environ, B=f"http://127.0.0.1:{service.port}"), cwd=folder)
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)
    outputs = {}
    for part in run.stdout.split("@@step ")[1:]:
        number, _, text = part.partition("\n")
        outputs[number.strip()] = text
    failures = 0
    for number, title, texts in expected:
        output = outputs.get(number, "")
        # jq -c prints compact JSON; the README's ⇒ lines are written the same way.
        missing = [t for t in texts if t not in output]
        status = "ok  " if not missing else "FAIL"
        print(f"{status} step {number}. {title}")
        for text in missing:
            failures += 1
            print(f"       expected: {text}\n       output:   {output.strip()[:600]}")
    if run.stderr.strip():
        print("stderr:\n" + run.stderr.strip()[:2000])
    print(f"tour: {len(expected)} steps, {failures} expectations missed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
