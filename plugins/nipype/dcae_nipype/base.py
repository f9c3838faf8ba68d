"""The base of every dcae interface: a Nipype CommandLine whose inputs are generated from the
executable's usage, whose output folders default to names in the node's folder, and whose
outputs are computed from the values the executable itself parses (`--parse-only`: defaults
and a --config YAML included), so they cannot disagree with what it wrote."""
import json
import os
import shlex
import shutil
import subprocess

from nipype.interfaces.base import CommandLine, Directory, File, TraitedSpec
from nipype.utils import filemanip


def keep_shard_sidecars():
    """Makes Nipype treat a time-series shard's X.npy and its X.json sidecar (which every
    reader needs) as related files, kept and copied together as it does .hdr/.img pairs. This
    changes Nipype for the whole process, so it is not done on import: call it before running
    a workflow that passes shards between nodes and removes unnecessary outputs (init_dcae_wf
    keeps the shard-writing nodes' outputs instead, without a global change)."""
    if (".npy", ".json") not in filemanip.related_filetype_sets:
        filemanip.related_filetype_sets.append((".npy", ".json"))


class DcaeCommandLine(CommandLine):
    """A dcae executable. Subclasses set `_cmd`, `input_spec` (generated), `output_spec`,
    `_spec` (the GeneratedSpec) and `_list_outputs`; `_output_names` names the default output
    file or folder of each output argument left unset (inside the node's folder)."""

    _spec = None
    _output_names = {}

    @property
    def version(self):
        """The version of the usage the inputs were generated from."""
        return self._spec.version if self._spec else None

    def _run_interface(self, runtime, correct_return_codes=(0,)):
        # Nipype checks the exit status only after collecting the outputs, so a failed command
        # would be reported as a missing output: report the command's own error instead.
        runtime = super()._run_interface(runtime, correct_return_codes)
        if runtime.returncode not in correct_return_codes:
            raise RuntimeError(f"{self._cmd} failed with exit status {runtime.returncode} "
                               f"(1 bad input data, 2 bad usage, 3 runtime failure): "
                               f"{(runtime.stderr or '').strip()}\ncommand: {runtime.cmdline}")
        return runtime

    def _gen_filename(self, name):
        if self._spec and name in self._spec.outputs:
            return os.path.abspath(self._output_names.get(name, name))
        return None

    def parsed_values(self):
        """{input name: value} as the executable parses this interface's command line, every
        argument with a value or default included. Raises RuntimeError when it is refused."""
        argv = shlex.split(self.cmdline)
        env = dict(os.environ)
        env.update(self.inputs.environ)
        exe = shutil.which(argv[0], path=env.get("PATH")) or argv[0]
        r = subprocess.run([exe, "--parse-only", *argv[1:]], capture_output=True, text=True,
                           env=env, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"{argv[0]} refused the command line '{self.cmdline}': "
                               f"{r.stderr.strip()}")
        parsed = json.loads(r.stdout)
        return {name: parsed[arg] for name, arg in self._spec.arguments.items() if arg in parsed}


def generic_interface(executable, spec):
    """An interface for an executable without hand-written outputs: one output per output
    file or folder argument (its absolute path)."""
    outputs = {}
    for name in spec.outputs:
        trait = spec.input_spec.class_traits()[name]
        kind = Directory if isinstance(trait.trait_type, Directory) else File
        outputs[name] = kind(exists=True, desc=trait.desc)
    output_spec = type(spec.class_name + "OutputSpec", (TraitedSpec,), outputs)

    def _list_outputs(self):
        parsed = self.parsed_values()
        return {name: os.path.abspath(parsed[name]) for name in self._spec.outputs if name in parsed}

    return type(spec.class_name, (DcaeCommandLine,), {
        "__doc__": f"{executable}: {spec.summary} (outputs: its output arguments).",
        "__module__": __name__.rsplit(".", 1)[0],
        "_cmd": executable,
        "_spec": spec,
        "input_spec": spec.input_spec,
        "output_spec": output_spec,
        "_list_outputs": _list_outputs,
    })
