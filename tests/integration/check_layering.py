#!/usr/bin/env python3
"""The include graph of src/ against the layering of ../shared/DESIGN.md: every
#include "module/..." of a file in src/<module>/ must be an allowed arrow, so an arrow that runs
the wrong way fails CI. Also: only preproc includes ITK, only model and train include LibTorch,
only ps includes gRPC and protobuf, headers that other modules include do not pull in
<torch/torch.h> or ITK, and no include names the old dist/ module.

  cmd → app → {train, preproc, dict, report, sim} → io → core,   train → {model, ps}
  model → io (its shard part) → core,   ps → core

Usage: check_layering.py [SRC_DIR]   (default: src beside this script's checkout)
Standard library only. Prints each violation as file:line and exits 1 when there is one.
"""
import pathlib
import re
import sys

ALLOWED = {
    "core": set(),
    "io": {"core"},
    "model": {"io", "core"},
    "ps": {"core"},
    "train": {"model", "ps", "io", "core"},
    "sim": {"io", "core"},
    "preproc": {"io", "core"},
    "dict": {"io", "core"},
    "report": {"io", "core"},
    "app": {"train", "model", "ps", "preproc", "dict", "report", "sim", "io", "core"},
    "cmd": {"app"},
}
# Third-party headers by the modules allowed to include them.
THIRD_PARTY = [
    (re.compile(r"^(torch/|ATen/|c10/|c10d/)"), {"model", "train", "app"}),
    (re.compile(r"^itk"), {"preproc"}),
    (re.compile(r"^(grpc|grpcpp|google/protobuf)/"), {"ps"}),
]
# app's LibTorch use is limited to the command files that run a model.
APP_TORCH = {"dictlearn_command.cpp", "train_command.cpp", "encode_command.cpp", "worker_command.cpp"}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2] / "src")
    problems = []
    files = sorted(p for p in src.rglob("*") if p.suffix in {".h", ".cpp"})
    for f in files:
        module = f.relative_to(src).parts[0]
        if module not in ALLOWED:
            problems.append(f"{f}: a file outside the modules of DESIGN.md ({module})")
            continue
        for n, line in enumerate(f.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, target = m.groups()
            where = f"{f.relative_to(src.parent)}:{n}"
            if kind == '"':
                first = target.split("/")[0]
                if first == "dist":
                    problems.append(f"{where}: includes {target}: the module is ps/ now")
                elif first in ALLOWED and first != module and first not in ALLOWED[module]:
                    problems.append(f"{where}: {module} may not include {target} ({module} → {first} runs against the layering)")
                elif first == "ps" and "/internal/" in target and module != "ps":
                    problems.append(f"{where}: {target} is private to ps")
                continue
            for pattern, modules in THIRD_PARTY:
                if not pattern.match(target):
                    continue
                if module not in modules:
                    problems.append(f"{where}: {module} includes <{target}>, which only {', '.join(sorted(modules))} may")
                elif module == "app" and f.name not in APP_TORCH:
                    problems.append(f"{where}: {f.name} includes <{target}>: LibTorch stays out of app's other files")
                elif f.suffix == ".h" and module != "preproc" and target.startswith("itk"):
                    problems.append(f"{where}: a header includes <{target}>")
            if f.suffix == ".h" and target == "torch/torch.h" and module in {"model", "train"}:
                # Only the headers that bind the model itself may: what other modules include stays light.
                light = {"model_config.h", "encoder.h", "shard_sampler.h", "replica.h", "torch_replica.h", "downpour.h",
                         "job.h", "launch.h", "sync.h", "launch_common.h"}
                if f.name in light:
                    problems.append(f"{where}: {f.name} is included by other modules and must not pull in <torch/torch.h>")
    for p in problems:
        print(p)
    print(f"{len(files)} files checked, {len(problems)} layering problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
