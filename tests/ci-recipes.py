#!/usr/bin/python3
"""ci-recipes.py - the structure of docs/ci/*.yml, for tests/e2e-ci-recipes.sh.

usage: ci-recipes.py ROOT OUT

Prints one line per check, "0 DESCRIPTION" (holds) or "1 DESCRIPTION: why",
and writes the shell commands of each recipe's job, in order, one file a
step: OUT/github/NN.sh and OUT/gitlab/NN.sh; OUT/github/gate and
OUT/gitlab/gate name the gate step's file, OUT/*/cache the cached path.
"""
import os
import re
import sys

import yaml

root, out = sys.argv[1], sys.argv[2]
JUNIT = "reports/latest/junit.xml"
GATE = re.compile(r"bootproof report .*--fail-on-new")


def check(cond, desc, why=""):
    print("0 " + desc if cond else "1 %s: %s" % (desc, why))


def write_steps(kind, scripts, cache):
    d = os.path.join(out, kind)
    os.makedirs(d, exist_ok=True)
    gate = None
    for i, s in enumerate(scripts):
        name = "%02d.sh" % i
        with open(os.path.join(d, name), "w") as f:
            f.write(s if s.endswith("\n") else s + "\n")
        if GATE.search(s):
            gate = name
    check(gate is not None and gate == "%02d.sh" % (len(scripts) - 1),
          kind + ": the last command is the gate, bootproof report --fail-on-new",
          "commands: %r" % scripts)
    with open(os.path.join(d, "gate"), "w") as f:
        f.write(gate or "none")
    with open(os.path.join(d, "cache"), "w") as f:
        f.write(cache or "none")
    check(any("${BOOTPROOF_SUITE:-scenarios.yaml}" in s for s in scripts),
          kind + ": the suite is ${BOOTPROOF_SUITE:-scenarios.yaml}")


def github():
    doc = yaml.safe_load(open(os.path.join(root, "docs/ci/github-nightly.yml")))
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    check(isinstance(on, dict) and "schedule" in on and on["schedule"][0].get("cron"),
          "github: runs on a schedule", repr(on))
    jobs = doc.get("jobs") or {}
    check(len(jobs) == 1, "github: one job", repr(list(jobs)))
    job = next(iter(jobs.values()))
    steps = job.get("steps") or []
    uses = {s["uses"].split("@")[0]: s for s in steps if "uses" in s}
    up = uses.get("actions/upload-artifact", {})
    check(up.get("if") == "always()" and up.get("with", {}).get("path") == "reports/",
          "github: reports/ uploaded as an artifact, if: always()", repr(up))
    junit = uses.get("mikepenz/action-junit-report", {})
    check(junit.get("if") == "always()" and
          junit.get("with", {}).get("report_paths") == JUNIT and
          junit.get("with", {}).get("follow_symlink") is True,
          "github: %s published, if: always(), through the latest symlink" % JUNIT,
          repr(junit))
    restore = uses.get("actions/cache/restore", {}).get("with", {})
    save = uses.get("actions/cache/save", {})
    check(restore.get("path") == "reports/history.db" and
          save.get("with", {}).get("path") == "reports/history.db" and
          save.get("if") == "always()" and
          steps.index(uses["actions/cache/restore"]) < min(
              i for i, s in enumerate(steps) if "run" in s),
          "github: the history restored before the first command, saved if: always()",
          repr((restore, save)))
    shell = (doc.get("defaults") or {}).get("run", {}).get("shell")
    check(shell == "bash", "github: commands run in bash (-eo pipefail)", repr(shell))
    runs = [s["run"] for s in steps if "run" in s]
    check(all("${{" not in r for r in runs),
          "github: no ${{ }} expression in a command (they run as they are)")
    check(all(s.get("if") in (None, "always()") for s in steps) and
          all("if" not in s for s in steps if "run" in s),
          "github: every command runs only while the ones before it passed")
    write_steps("github", runs, restore.get("path"))


def gitlab():
    doc = yaml.safe_load(open(os.path.join(root, "docs/ci/gitlab-ci.yml")))
    check(len(doc) == 1, "gitlab: one job", repr(list(doc)))
    job = next(iter(doc.values()))
    art = job.get("artifacts") or {}
    check(art.get("when") == "always", "gitlab: artifacts when: always", repr(art))
    check(art.get("paths") == ["reports/"], "gitlab: reports/ kept as an artifact", repr(art))
    check((art.get("reports") or {}).get("junit") == JUNIT,
          "gitlab: artifacts: reports: junit: " + JUNIT, repr(art))
    cache = job.get("cache") or {}
    check(cache.get("paths") == ["reports/history.db"] and cache.get("when") == "always",
          "gitlab: the history in the cache, when: always", repr(cache))
    check(any(r.get("if", "").find("schedule") >= 0 for r in job.get("rules") or []),
          "gitlab: runs from a pipeline schedule")
    write_steps("gitlab", job.get("script") or [], (cache.get("paths") or [None])[0])


def readme():
    text = open(os.path.join(root, "README.md")).read()
    sec = text.find("\n## Nightly in CI\n")
    check(sec >= 0, "README has a 'Nightly in CI' section")
    for path in ("docs/ci/github-nightly.yml", "docs/ci/gitlab-ci.yml"):
        m = re.search(r"\(%s\):\n\n```yaml\n(.*?)```\n" % re.escape(path), text[sec:], re.S)
        want = open(os.path.join(root, path)).read()
        check(m is not None and m.group(1) == want,
              "README shows %s as it is" % path,
              "no block after its link" if m is None else "the texts differ")


github()
gitlab()
readme()
