#!/usr/bin/env python3
"""Checks descriptors/*.json: (1) they are what descriptors/generate.py makes from the
executables' --usage-json (no drift); (2) each validates against the Boutiques JSON schema
(../shared/data/boutiques, draft-04, with Debian's python3-jsonschema); (3) the rules
`bosh validate` checks beyond the schema (the Boutiques package is not in Debian; RULES below
lists them); (4) an invocation that sets every input (required ones to sample values, optional
ones to their defaults or a sample) becomes a command line the executable accepts
(--parse-only); (5) each descriptor's `tests` run as `bosh exec launch` would run them, in a
folder holding the dataset descriptors/generate.py names (made here with dcae-simulate): the
exit code and the output files asserted.

Usage: check_descriptors.py BIN_DIR       Exit 77 (skip) without jsonschema or the schema.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

top = pathlib.Path(__file__).resolve().parents[2]
bin_dir = pathlib.Path(sys.argv[1]).resolve()
schema_path = top.parent / "shared" / "data" / "boutiques" / "descriptor.schema.json"
try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)
if not schema_path.exists():
    print(f"SKIP: Boutiques schema not found at {schema_path}")
    sys.exit(77)

RULES = """value-keys: every input's and output's value-key is unique and appears in the
  command-line (or, for outputs, the path-template uses only input value-keys)
ids: unique across inputs, output-files and groups
flags: every Flag input has a command-line-flag and is optional; no flag is used twice
numbers: minimum <= maximum; a default within them; an integer input's default is an integer
choices: a default-value is one of value-choices
lists: min-list-entries <= max-list-entries; a list input's default is a list
groups: members are input ids; a mutually exclusive group has no required member and no
  member with a default-value
outputs: an output whose path-template uses an optional input's value-key is optional
error-codes: unique and non-zero
tests: invocation keys are input ids; asserted output ids exist""".strip()


def bosh_rules(d):
    """The problems `bosh validate` would report beyond the schema (RULES)."""
    problems = []
    inputs = {i["id"]: i for i in d["inputs"]}
    keys = [i["value-key"] for i in d["inputs"]]
    if len(keys) != len(set(keys)):
        problems.append("duplicate input value-keys")
    for k in keys:
        if k not in d["command-line"]:
            problems.append(f"value-key {k} is not in the command-line")
    ids = list(inputs) + [o["id"] for o in d.get("output-files", [])] + [g["id"] for g in d.get("groups", [])]
    if len(ids) != len(set(ids)):
        problems.append("duplicate ids")
    flags = [i["command-line-flag"] for i in d["inputs"] if "command-line-flag" in i]
    if len(flags) != len(set(flags)):
        problems.append("a command-line-flag is used twice")
    for i in d["inputs"]:
        if i["type"] == "Flag" and ("command-line-flag" not in i or not i["optional"]):
            problems.append(f"{i['id']}: a Flag needs a command-line-flag and must be optional")
        lo, hi, dv = i.get("minimum"), i.get("maximum"), i.get("default-value")
        if lo is not None and hi is not None and lo > hi:
            problems.append(f"{i['id']}: minimum > maximum")
        for v in (dv if isinstance(dv, list) else [dv]) if dv is not None else []:
            if i["type"] == "Number":
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    problems.append(f"{i['id']}: default {v} outside [{lo}, {hi}]")
                if i.get("integer") and not float(v).is_integer():
                    problems.append(f"{i['id']}: integer input with default {v}")
            if "value-choices" in i and v not in i["value-choices"]:
                problems.append(f"{i['id']}: default {v} not among its choices")
        if i.get("list") and dv is not None and not isinstance(dv, list):
            problems.append(f"{i['id']}: a list input with a scalar default")
        if i.get("min-list-entries", 0) > i.get("max-list-entries", float("inf")):
            problems.append(f"{i['id']}: min-list-entries > max-list-entries")
    for g in d.get("groups", []):
        for m in g["members"]:
            if m not in inputs:
                problems.append(f"group {g['id']}: no input {m}")
            elif g.get("mutually-exclusive") and (not inputs[m]["optional"] or "default-value" in inputs[m]):
                problems.append(f"group {g['id']}: member {m} is required or has a default")
    optional_keys = {i["value-key"] for i in d["inputs"] if i["optional"]}
    for o in d.get("output-files", []):
        used = [k for k in keys if k in o["path-template"]]
        if not used:
            problems.append(f"output {o['id']}: its path-template uses no input")
        if any(k in optional_keys for k in used) and not o["optional"]:
            problems.append(f"output {o['id']}: required, but named by an optional input")
    codes = [e["code"] for e in d.get("error-codes", [])]
    if len(codes) != len(set(codes)) or 0 in codes:
        problems.append("error-codes repeated or zero")
    outputs = {o["id"] for o in d.get("output-files", [])}
    for t in d.get("tests", []):
        for k in t["invocation"]:
            if k not in inputs:
                problems.append(f"test {t['name']!r}: no input {k}")
        for o in t["assertions"].get("output-files", []):
            if o["id"] not in outputs:
                problems.append(f"test {t['name']!r}: no output {o['id']}")
    return problems


def command_line(d, invocation):
    """The command line bosh builds from an invocation: each value-key replaced by its flag and
    value(s), inputs not in the invocation by nothing (defaults are the tool's own)."""
    words = []
    for token in d["command-line"].split():
        i = next((x for x in d["inputs"] if x["value-key"] == token), None)
        if i is None:
            words.append(token)
            continue
        if i["id"] not in invocation:
            continue
        v = invocation[i["id"]]
        if i["type"] == "Flag":
            if v:
                words.append(i["command-line-flag"])
            continue
        values = [str(x) for x in (v if isinstance(v, list) else [v])]
        words += ([i["command-line-flag"]] if "command-line-flag" in i else []) + values
    return words


def output_path(d, invocation, output_id):
    o = next(x for x in d["output-files"] if x["id"] == output_id)
    path = o["path-template"]
    for i in d["inputs"]:
        if i["value-key"] in path and i["id"] in invocation:
            path = path.replace(i["value-key"], str(invocation[i["id"]]))
    return path


# dcae's descriptors and the CBRAIN form of the BIDS-App's (descriptors/cbrain/).
DESCRIPTORS = sorted((top / "descriptors").glob("dcae-*.json")) + sorted((top / "descriptors" / "cbrain").glob("*.json"))
failures = 0
if subprocess.run([sys.executable, str(top / "descriptors" / "generate.py"), "--check", str(bin_dir)]).returncode:
    failures += 1
schema = json.loads(schema_path.read_text())
validator = jsonschema.Draft4Validator(schema)

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    sample_file = tmp / "sample.json"
    sample_file.write_text("{}\n")
    for path in DESCRIPTORS:
        d = json.loads(path.read_text())
        errors = sorted(validator.iter_errors(d), key=lambda e: list(e.path))
        for e in errors:
            print(f"FAIL {path.relative_to(top / 'descriptors')}: {'/'.join(map(str, e.path))}: {e.message}")
        failures += bool(errors)
        rule_problems = bosh_rules(d)
        for p in rule_problems:
            print(f"FAIL {path.relative_to(top / 'descriptors')}: bosh rule: {p}")
        failures += bool(rule_problems)
        # An invocation setting every input; the command line Boutiques would build from it.
        # Boutiques calls folders File too: the usage JSON tells which inputs must be folders.
        usage = json.loads(subprocess.run([str(bin_dir / d["name"]), "--usage-json"], check=True,
                                          capture_output=True, text=True).stdout)
        input_dirs = {a["name"] for a in usage["arguments"] if a["kind"] == "input-dir"}
        args = []
        # One member of each mutually exclusive group (the others are left out).
        excluded = {m for g in d.get("groups", []) if g.get("mutually-exclusive") for m in g["members"][1:]}
        for i in d["inputs"]:
            if i["id"] in ("config", "reference_volume") or i["id"] in excluded:
                continue  # a YAML file / needs --reference index: exercised by the unit tests
            if i["type"] == "Flag":
                value = None
            elif "default-value" in i:
                value = i["default-value"]
            elif "value-choices" in i:
                value = i["value-choices"][0]
            elif i["type"] == "File":
                sample = str(tmp) if i["name"] in input_dirs else str(sample_file)
                value = [sample] if i.get("list") else sample
            elif i["type"] == "Number":
                value = i.get("minimum", 1)
            else:
                value = [str(sample_file)] if i.get("list") else str(tmp / ("out-" + i["id"]))
            flag = i.get("command-line-flag")
            if i["type"] == "Flag":
                args.append(flag)
                continue
            values = value if isinstance(value, list) else [value]
            values = [str(int(v)) if isinstance(v, float) and v.is_integer() and i.get("integer") else str(v) for v in values]
            args += ([flag] if flag else []) + values
        exe = bin_dir / d["name"]
        r = subprocess.run([str(exe), "--parse-only", *args], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {path.relative_to(top / 'descriptors')}: the invocation's command line is refused: {r.stderr.strip()}")
            print("     " + " ".join([d["name"], *args]))
            failures += 1
        else:
            print(f"ok   {path.relative_to(top / 'descriptors')}: valid Boutiques 0.5; {len(d['inputs'])} inputs; its command line parses")

# (5) The descriptors' tests, as `bosh exec launch` runs them.
with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    subprocess.run([str(bin_dir / "dcae-simulate"), "-q", "--subjects", "2", "--grid", "20", "24", "18",
                    "--voxel-size", "8", "8", "8", "--volumes", "40", "--tr", "2", "ds"], cwd=tmp, check=True)
    ran = 0
    for path in DESCRIPTORS:
        d = json.loads(path.read_text())
        for t in d.get("tests", []):
            words = command_line(d, t["invocation"])
            r = subprocess.run(words, cwd=tmp, env=env, capture_output=True, text=True)
            want = t["assertions"].get("exit-code", 0)
            missing = [output_path(d, t["invocation"], o["id"]) for o in t["assertions"].get("output-files", [])
                       if not (tmp / output_path(d, t["invocation"], o["id"])).exists()]
            ran += 1
            if r.returncode != want or missing:
                print(f"FAIL {path.relative_to(top / 'descriptors')}: test {t['name']!r}: exit {r.returncode} (expected {want}), "
                      f"missing outputs {missing}: {' '.join(words)}\n{r.stderr[-2000:]}")
                failures += 1
            else:
                print(f"ok   {path.relative_to(top / 'descriptors')}: test {t['name']!r} (exit {r.returncode})")
    if ran == 0:
        print("FAIL: no descriptor has a tests block")
        failures += 1

print("bosh validate's rules checked here:\n  " + RULES.replace("\n", "\n  "))
print(f"descriptors: {failures} check(s) failed" if failures else "descriptors: all checks passed")
sys.exit(1 if failures else 0)
