"""Nipype interfaces of dcae's executables (one CommandLine interface per executable).

Inputs are generated from each executable's usage (`<executable> --usage-json`) into
_generated.py; outputs are hand-written in interfaces.py. An executable with a generated spec
but no hand-written outputs still gets an interface, whose outputs are its output arguments.
The executables are found on PATH (or the `environ` input's PATH).
"""
from .base import DcaeCommandLine, generic_interface, keep_shard_sidecars
from .interfaces import HAND_WRITTEN, SPECS, DictLearn, Encode, Preproc, Report, Simulate, Train
from .workflows import init_dcae_wf

__all__ = ["DcaeCommandLine", "DictLearn", "Encode", "Preproc", "Report", "Simulate", "Train",
           "INTERFACES", "init_dcae_wf", "keep_shard_sidecars"]

INTERFACES = {cls._cmd: cls for cls in HAND_WRITTEN}
"""{executable: its interface class}, for every executable with a generated spec."""

for _executable, _spec in SPECS.items():
    if _executable not in INTERFACES:
        INTERFACES[_executable] = globals()[_spec.class_name] = generic_interface(_executable, _spec)
        __all__.append(_spec.class_name)
