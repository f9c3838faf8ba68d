#!/usr/bin/env python3
"""Checks plugins/nipype (with Debian's python3-nipype): (1) the committed input specs are what
plugins/nipype/generate.py makes from the executables' --usage-json (no drift); (2) every
built executable has an interface that instantiates with a value for each of its inputs, and
the executable accepts the interface's command line (--parse-only) and parses each value back
as set; (3) a --config YAML given to the interface reaches the values its outputs are computed
from.

Usage: nipype_interfaces.py BIN_DIR       Exit 77 (skip) when /usr/bin/python3 lacks nipype.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

top = pathlib.Path(__file__).resolve().parents[2]
plugin = top / "plugins" / "nipype"
bin_dir = pathlib.Path(sys.argv[1]).resolve()
os.environ["NIPYPE_NO_ET"] = "1"
try:
    import nipype  # noqa: F401
except ImportError:
    print(f"SKIP: {sys.executable} lacks nipype (Debian python3-nipype)")
    sys.exit(77)
sys.path.insert(0, str(plugin))
os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
import generate  # noqa: E402  plugins/nipype/generate.py
import dcae_nipype  # noqa: E402

SKIPPED = generate.SKIPPED
failures = 0


def fail(message):
    global failures
    failures += 1
    print("FAIL " + message)


def sample(arg, tmp):
    """A valid value for a usage argument, different from its default."""
    kind, default = arg["kind"], arg.get("default")
    if kind == "flag":
        return True
    if kind == "choice":
        return next(c for c in arg["choices"] if c != default)
    if kind in ("input-file", "string-list", "input-file-list"):
        files = []
        for i in range(2 if kind.endswith("-list") else 1):
            f = tmp / f"{arg['name']}-{i}.txt"
            f.write_text("{}\n")
            files.append(str(f))
        return files if kind.endswith("-list") else files[0]
    if kind == "input-dir":
        return str(tmp)
    if kind in ("output-dir", "output-file"):
        return str(tmp / ("out-" + arg["name"]))
    if kind == "string":
        return "sample"
    lo, hi = arg.get("min"), arg.get("max")
    integer = kind.startswith("integer")
    candidates = [lo + (hi - lo) / 3 if lo is not None and hi is not None else None,
                  (lo if lo is not None else 0) + 1.5, (lo if lo is not None else 0) + 2.5]
    for c in candidates:
        if c is None:
            continue
        c = int(c) if integer else round(c, 2)
        item_default = default[0] if isinstance(default, list) else default
        if (hi is None or c <= hi) and (lo is None or c >= lo) and c != item_default:
            return [c] * (arg["list_size"] or 2) if kind.endswith("-list") else c
    raise AssertionError(f"no sample for {arg}")


def same(expected, parsed):
    if isinstance(expected, list):
        return isinstance(parsed, list) and len(expected) == len(parsed) and all(
            same(e, p) for e, p in zip(expected, parsed))
    if isinstance(expected, str) and os.sep in expected:
        return os.path.abspath(expected) == os.path.abspath(parsed)
    return expected == parsed


# (1) drift
if subprocess.run([sys.executable, str(plugin / "generate.py"), "--check", str(bin_dir)]).returncode:
    fail("plugins/nipype/dcae_nipype/_generated.py differs from the executables' usage")

# (2) and (3), per built executable
for exe, class_name, _ in generate.EXECUTABLES:
    path = bin_dir / exe
    if not path.exists():
        print(f"skip {exe}: not built in {bin_dir}")
        continue
    interface = dcae_nipype.INTERFACES.get(exe)
    if interface is None or interface.__name__ != class_name:
        fail(f"{exe}: no interface class {class_name} in dcae_nipype")
        continue
    usage = json.loads(subprocess.run([str(path), "--usage-json"], check=True,
                                      capture_output=True, text=True).stdout)
    args = [a for a in usage["arguments"] if a["name"] not in SKIPPED]
    names = {a["name"]: generate.trait_name(a) for a in args}
    inputs = set(interface.input_spec().copyable_trait_names()) - {"args", "environ"}
    if inputs != set(names.values()):
        fail(f"{exe}: inputs {sorted(inputs ^ set(names.values()))} are not both in the usage "
             "and the interface")
        continue
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        # One member of each mutually exclusive group (the others are left out).
        excluded = {m for g in usage.get("mutually_exclusive", []) for m in g[1:]}
        values = {a["name"]: sample(a, tmp) for a in args
                  if a["name"] != "config" and a["name"] not in excluded}
        config = tmp / "config.yaml"
        config.write_text("{}\n")
        values["config"] = str(config)
        try:
            iface = interface(**{names[k]: v for k, v in values.items()})
            cmdline = iface.cmdline
            parsed = iface.parsed_values()
        except Exception as e:  # the trait refused a value, or the executable the command line
            fail(f"{exe}: {type(e).__name__}: {e}")
            continue
        wrong = [f"{k}: set {v!r}, parsed {parsed.get(names[k])!r}" for k, v in values.items()
                 if not next(a for a in args if a["name"] == k)["standard"]
                 and not same(v, parsed.get(names[k]))]
        if wrong:
            fail(f"{exe}: the executable parses other values than the interface set: "
                 + "; ".join(wrong) + f"\n     {cmdline}")
            continue
        # (3) an option given only in a --config YAML: parsed_values sees it.
        option = next(a for a in args if not a["positional"] and not a["standard"]
                      and a["name"] in values
                      and a["kind"] not in ("input-file", "input-dir", "output-dir",
                                            "output-file", "input-file-list", "flag"))
        value = values[option["name"]]
        config.write_text(f"{option['name'].replace('-', '_')}: {json.dumps(value)}\n")
        required = {names[a["name"]]: values[a["name"]] for a in args if a["required"]}
        from_config = interface(config=str(config), **required).parsed_values()
        if not same(value, from_config.get(names[option["name"]])):
            fail(f"{exe}: {option['name']}: {value!r} in --config, parsed "
                 f"{from_config.get(names[option['name']])!r}")
            continue
        helptext = interface.help(returnhelp=True)
        print(f"ok   {class_name} ({exe} {iface.version}): {len(inputs)} inputs, "
              f"{len(interface.output_spec().copyable_trait_names())} outputs, "
              f"{len(helptext.splitlines())} lines of help; {exe} parses every value as set "
              f"and reads --config")

print(f"nipype interfaces: {failures} check(s) failed" if failures
      else "nipype interfaces: all checks passed")
sys.exit(1 if failures else 0)
