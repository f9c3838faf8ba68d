#!/usr/bin/env python3
"""Checks descriptors/*.json: (1) they are what descriptors/generate.py makes from the
executables' --usage-json (no drift); (2) each validates against the Boutiques JSON schema
(../shared/data/boutiques, draft-04, with Debian's python3-jsonschema); (3) an invocation that
sets every input (required ones to sample values, optional ones to their defaults or a sample)
becomes a command line the executable accepts (--parse-only).

Usage: check_descriptors.py BIN_DIR       Exit 77 (skip) without jsonschema or the schema.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

top = pathlib.Path(__file__).resolve().parents[2]
bin_dir = pathlib.Path(sys.argv[1])
schema_path = top.parent / "shared" / "data" / "boutiques" / "descriptor.schema.json"
try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed")
    sys.exit(77)
if not schema_path.exists():
    print(f"SKIP: Boutiques schema not found at {schema_path}")
    sys.exit(77)

failures = 0
if subprocess.run([sys.executable, str(top / "descriptors" / "generate.py"), "--check", str(bin_dir)]).returncode:
    failures += 1
schema = json.loads(schema_path.read_text())
validator = jsonschema.Draft4Validator(schema)

with tempfile.TemporaryDirectory() as tmp:
    tmp = pathlib.Path(tmp)
    sample_file = tmp / "sample.json"
    sample_file.write_text("{}\n")
    for path in sorted((top / "descriptors").glob("dcae-*.json")):
        d = json.loads(path.read_text())
        errors = sorted(validator.iter_errors(d), key=lambda e: list(e.path))
        for e in errors:
            print(f"FAIL {path.name}: {'/'.join(map(str, e.path))}: {e.message}")
        failures += bool(errors)
        # An invocation setting every input; the command line Boutiques would build from it.
        # Boutiques calls folders File too: the usage JSON tells which inputs must be folders.
        usage = json.loads(subprocess.run([str(bin_dir / d["name"]), "--usage-json"], check=True,
                                          capture_output=True, text=True).stdout)
        input_dirs = {a["name"] for a in usage["arguments"] if a["kind"] == "input-dir"}
        args = []
        for i in d["inputs"]:
            if i["id"] in ("config", "reference_volume"):
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
            print(f"FAIL {path.name}: the invocation's command line is refused: {r.stderr.strip()}")
            print("     " + " ".join([d["name"], *args]))
            failures += 1
        else:
            print(f"ok   {path.name}: valid Boutiques 0.5; {len(d['inputs'])} inputs; its command line parses")

print(f"descriptors: {failures} check(s) failed" if failures else "descriptors: all checks passed")
sys.exit(1 if failures else 0)
