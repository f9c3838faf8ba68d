#!/usr/bin/env python3
"""Generates the Nipype input specs of dcae's executables from their usage JSON
(`<executable> --usage-json`, the single source of truth for every flag) into
dcae_nipype/_generated.py. The interfaces (dcae_nipype/interfaces.py) take their inputs from
there and add hand-written outputs.

Usage: plugins/nipype/generate.py BIN_DIR            (rewrites dcae_nipype/_generated.py)
       plugins/nipype/generate.py --check BIN_DIR    (exit 1 if the committed module drifted)
An executable that is not built in BIN_DIR is skipped with a message: its committed section,
if any, is kept as it is (and not checked). Standard library only; run with any python3.
"""
import json
import keyword
import pathlib
import subprocess
import sys

# One line per executable: name, interface class, arguments whose values are existing files
# although the usage declares them as strings (none now: lists of files are "input-file-list").
EXECUTABLES = [
    ("dcae-simulate", "Simulate", ()),
    ("dcae-preproc", "Preproc", ()),
    ("dcae-train", "Train", ()),
    ("dcae-encode", "Encode", ()),
    ("dcae-dictlearn", "DictLearn", ()),
    ("dcae-report", "Report", ()),
    ("dcae-bids-app", "BidsApp", ()),
    ("dcae-ps", "ParameterServer", ()),
    ("dcae-worker", "Worker", ()),
]
# Standard options that print and exit: no place in an interface.
SKIPPED = {"help", "version", "usage-json", "parse-only"}
# Names that CommandLineInputSpec already has.
RESERVED = {"args", "environ"}

TARGET = pathlib.Path(__file__).resolve().parent / "dcae_nipype" / "_generated.py"
HEADER = '''"""Nipype input specs of dcae's executables, generated from their usage JSON.

Do not edit: run plugins/nipype/generate.py BIN_DIR after changing a command's arguments
(the test integration.nipype_interfaces fails while this file and the executables disagree).
"""
from collections import namedtuple

from nipype.interfaces.base import CommandLineInputSpec, Directory, File, InputMultiObject, traits

GeneratedSpec = namedtuple("GeneratedSpec", "class_name input_spec version summary arguments outputs")
GeneratedSpec.__doc__ = """One executable's generated spec: its interface's class name, the input
spec, the usage's version and summary, {trait name: argument name} and the trait names of its
output-file / output-dir arguments."""

SPECS = {}
'''


def trait_name(arg):
    if arg["name"] == "nthreads":  # Nipype's name: MultiProc counts a node's num_threads
        return "num_threads"
    name = arg["name"].replace("-", "_")
    if keyword.iskeyword(name):  # "--lambda" → input "lambda_value" (traits reserves a final "_")
        name += "_value"
    if not name.isidentifier() or keyword.iskeyword(name) or name in RESERVED:
        raise SystemExit(f"argument '{arg['name']}' cannot be a Nipype input name")
    return name


def number(kind, value):
    return repr(int(value)) if kind.startswith("integer") else repr(float(value))


def scalar_trait(kind, arg, file_valued):
    """The trait of one value (a list's item) as Python source: (type, its arguments)."""
    if file_valued or kind == "input-file":
        return "File", ["exists=True"]
    if kind == "input-dir":
        return "Directory", ["exists=True"]
    if kind.startswith("integer") or kind.startswith("number"):
        bounds = [f"{k}={number(kind, arg[m])}" for k, m in (("low", "min"), ("high", "max")) if m in arg]
        if bounds:
            return "traits.Range", bounds
        return ("traits.Int" if kind.startswith("integer") else "traits.Float"), []
    return "traits.Str", []


def trait_source(arg, position, file_valued):
    """(name, source) of the trait for one usage argument."""
    kind = arg["kind"]
    name = trait_name(arg)
    args, meta = [], {}
    flag = arg["flag"]
    value_format = "%d" if kind == "integer" else "%s"
    if kind == "flag":
        head = "traits.Bool"
        meta["argstr"] = flag
    elif kind == "choice":
        head = "traits.Enum"
        args = [repr(c) for c in arg["choices"]]
    elif kind.endswith("-list"):
        item, item_args = scalar_trait(kind[: -len("-list")], arg, file_valued)
        head = "InputMultiObject" if arg.get("list_size", 0) == 0 else "traits.List"
        args = [f"{item}({', '.join(item_args)})" if item_args else item]
        if arg.get("list_size"):
            meta["minlen"] = meta["maxlen"] = arg["list_size"]
        meta["sep"] = " "
    elif kind in ("output-dir", "output-file"):
        head = "Directory" if kind == "output-dir" else "File"
        if arg["required"]:
            meta["genfile"] = True
    else:
        head, args = scalar_trait(kind, arg, file_valued)
    if kind != "flag":
        meta["argstr"] = value_format if arg["positional"] else f"{flag} {value_format}"
    if position is not None:
        meta["position"] = position
    if arg["required"] and kind not in ("output-dir", "output-file"):
        meta["mandatory"] = True
    desc = arg["help"]
    if "default" in arg and kind != "flag":
        default = arg["default"]
        default = " ".join(map(str, default)) if isinstance(default, list) else default
        desc += f" (default: {default})"
    if kind in ("output-dir", "output-file") and arg["required"]:
        desc += " (default: a name in the node's folder)"
    meta["desc"] = desc
    lines = [f"    {name} = {head}("] + [f"        {a}," for a in args]
    for k, v in meta.items():
        if k == "argstr":
            lines.append(f"        argstr={v!r},")
        else:
            lines.append(f"        {k}={v!r},")
    lines.append("    )")
    return name, "\n".join(lines)


def section(usage, class_name, file_args):
    exe = usage["name"]
    arguments = [a for a in usage["arguments"] if a["name"] not in SKIPPED]
    positionals = [a for a in arguments if a["positional"]]
    summary = usage["summary"]
    lines = [f"# ---- {exe} (generated from `{exe} --usage-json`, version {usage['version']})",
             f"class {class_name}InputSpec(CommandLineInputSpec):",
             f'    """Inputs of {exe}: {summary}."""',
             ""]
    names, outputs = {}, []
    for arg in arguments:
        # Positional arguments come first, in declaration order: an option taking a list of
        # values never meets them.
        position = positionals.index(arg) if arg["positional"] else None
        name, source = trait_source(arg, position, arg["name"] in file_args)
        if name in names:
            raise SystemExit(f"{exe}: two arguments become the input '{name}'")
        names[name] = arg["name"]
        if arg["kind"] in ("output-dir", "output-file"):
            outputs.append(name)
        lines.append(source)
    unknown = set(file_args) - {a["name"] for a in arguments}
    if unknown:
        raise SystemExit(f"{exe}: file-valued argument(s) {sorted(unknown)} are not in its usage")
    lines += ["",
              "",
              f"SPECS[{exe!r}] = GeneratedSpec(",
              f"    class_name={class_name!r},",
              f"    input_spec={class_name}InputSpec,",
              f"    version={usage['version']!r},",
              f"    summary={summary!r},",
              "    arguments={",
              *[f"        {k!r}: {v!r}," for k, v in names.items()],
              "    },",
              f"    outputs={tuple(outputs)!r},",
              ")",
              f"# ---- end {exe}"]
    return "\n".join(lines) + "\n"


def committed_sections(text):
    """{executable: its section's text} of a generated module."""
    out, current, lines = {}, None, []
    for line in text.splitlines(keepends=True):
        if line.startswith("# ---- end "):
            lines.append(line)
            out[current] = "".join(lines)
            current = None
        elif line.startswith("# ---- "):
            current, lines = line.split()[2], [line]
        elif current is not None:
            lines.append(line)
    return out


def generate(bin_dir, committed):
    """The module text and the skipped executables (not built: committed section kept)."""
    old = committed_sections(committed)
    parts, skipped = [HEADER], []
    for exe, class_name, file_args in EXECUTABLES:
        path = bin_dir / exe
        if not path.exists():
            skipped.append(exe)
            if exe in old:
                parts.append("\n\n" + old[exe])
            continue
        usage = json.loads(subprocess.run([str(path), "--usage-json"], check=True,
                                          capture_output=True, text=True).stdout)
        if usage["name"] != exe:
            raise SystemExit(f"{path}: its usage names '{usage['name']}'")
        parts.append("\n\n" + section(usage, class_name, file_args))
    return "".join(parts), skipped


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        sys.exit(__doc__)
    bin_dir = pathlib.Path(args[0])
    committed = TARGET.read_text() if TARGET.exists() else ""
    text, skipped = generate(bin_dir, committed)
    for exe in skipped:
        kept = "its committed interface is kept unchecked" if exe in committed_sections(committed) \
            else "no interface until it is built"
        print(f"skipped {exe}: not built in {bin_dir} ({kept})")
    if check:
        if text != committed:
            old, new = committed_sections(committed), committed_sections(text)
            for exe in sorted(set(old) | set(new)):
                if exe not in old:
                    print(f"{exe}: built, but no committed interface")
                elif exe not in new:
                    print(f"{exe}: a committed interface, but not in EXECUTABLES")
                elif old[exe] != new[exe]:
                    print(f"{exe}: its usage changed")
            print(f"{TARGET} is out of date: run plugins/nipype/generate.py {bin_dir}")
            return 1
        print(f"{TARGET.name} matches the executables' usage")
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
