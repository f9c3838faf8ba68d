"""Nipype input specs of dcae's executables, generated from their usage JSON.

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


# ---- dcae-simulate (generated from `dcae-simulate --usage-json`, version 0.1.0)
class SimulateInputSpec(CommandLineInputSpec):
    """Inputs of dcae-simulate: simulate an HCP-MOTOR-like task-fMRI dataset with known ground truth."""

    output_dir = Directory(
        genfile=True,
        argstr='%s',
        position=0,
        desc="folder to create for the dataset (default: a name in the node's folder)",
    )
    layout = traits.Enum(
        'bids',
        'hcp',
        argstr='--layout %s',
        desc='dataset layout (default: bids)',
    )
    seed = traits.Range(
        low=0,
        argstr='--seed %d',
        desc='random seed (same seed → same dataset) (default: 1)',
    )
    subjects = traits.Range(
        low=1,
        high=999,
        argstr='--subjects %d',
        desc='number of participants (default: 2)',
    )
    runs = traits.Range(
        low=1,
        high=99,
        argstr='--runs %d',
        desc='runs per participant (HCP: at most 2, LR and RL) (default: 1)',
    )
    task = traits.Str(
        argstr='--task %s',
        desc='task label (default: motor)',
    )
    grid = traits.List(
        traits.Range(low=8, high=512),
        minlen=3,
        maxlen=3,
        sep=' ',
        argstr='--grid %s',
        desc='image grid in voxels (x y z) (default: 40 48 36)',
    )
    voxel_size = traits.List(
        traits.Range(low=0.5, high=20.0),
        minlen=3,
        maxlen=3,
        sep=' ',
        argstr='--voxel-size %s',
        desc='voxel size in mm (x y z) (default: 4.0 4.0 4.0)',
    )
    tr = traits.Range(
        low=0.1,
        high=10.0,
        argstr='--tr %s',
        desc='repetition time (s) (default: 0.72)',
    )
    volumes = traits.Range(
        low=10,
        high=100000,
        argstr='--volumes %d',
        desc='volumes per run (default: 284)',
    )
    slice_timing = traits.Enum(
        'none',
        'ascending',
        'descending',
        'interleaved',
        argstr='--slice-timing %s',
        desc='simulate slice acquisition offsets (written as SliceTiming) (default: none)',
    )
    tsnr = traits.Range(
        low=1.0,
        argstr='--tsnr %s',
        desc='temporal SNR of grey matter (mean / noise SD) (default: 60.0)',
    )
    signal = traits.Range(
        low=0.0,
        high=50.0,
        argstr='--signal %s',
        desc="BOLD signal change at a network's peak (%) (default: 3.0)",
    )
    motion = traits.Range(
        low=0.0,
        high=20.0,
        argstr='--motion %s',
        desc='head motion scale: translations up to about this many mm (default: 1.0)',
    )
    rotation = traits.Range(
        low=0.0,
        high=20.0,
        argstr='--rotation %s',
        desc='head rotations up to about this many degrees (default: 1.0)',
    )
    spikes = traits.Range(
        low=0,
        argstr='--spikes %d',
        desc='sudden one-volume movements per run (default: 2)',
    )
    drift = traits.Range(
        low=0.0,
        high=50.0,
        argstr='--drift %s',
        desc='slow drift amplitude (% of baseline) (default: 1.0)',
    )
    overwrite = traits.Bool(
        argstr='--overwrite',
        desc='replace output_dir if it exists',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    nthreads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = all cores) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-simulate'] = GeneratedSpec(
    class_name='Simulate',
    input_spec=SimulateInputSpec,
    version='0.1.0',
    summary='simulate an HCP-MOTOR-like task-fMRI dataset with known ground truth',
    arguments={
        'output_dir': 'output_dir',
        'layout': 'layout',
        'seed': 'seed',
        'subjects': 'subjects',
        'runs': 'runs',
        'task': 'task',
        'grid': 'grid',
        'voxel_size': 'voxel-size',
        'tr': 'tr',
        'volumes': 'volumes',
        'slice_timing': 'slice-timing',
        'tsnr': 'tsnr',
        'signal': 'signal',
        'motion': 'motion',
        'rotation': 'rotation',
        'spikes': 'spikes',
        'drift': 'drift',
        'overwrite': 'overwrite',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'nthreads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-simulate


# ---- dcae-preproc (generated from `dcae-preproc --usage-json`, version 0.1.0)
class PreprocInputSpec(CommandLineInputSpec):
    """Inputs of dcae-preproc: FEAT-equivalent preprocessing of one BOLD run, with BIDS-derivative outputs."""

    bold = File(
        exists=True,
        argstr='%s',
        position=0,
        mandatory=True,
        desc="the run's 4-D BOLD image (.nii or .nii.gz)",
    )
    output_dir = Directory(
        genfile=True,
        argstr='%s',
        position=1,
        desc="derivatives folder to write into (default: a name in the node's folder)",
    )
    sidecar = File(
        exists=True,
        argstr='--sidecar %s',
        desc='JSON sidecar with RepetitionTime / SliceTiming',
    )
    reference = traits.Enum(
        'middle',
        'mean',
        'index',
        argstr='--reference %s',
        desc='motion-correction reference (default: middle)',
    )
    reference_volume = traits.Range(
        low=0,
        argstr='--reference-volume %d',
        desc='reference volume with --reference index (0-based)',
    )
    interpolation = traits.Enum(
        'linear',
        'bspline',
        argstr='--interpolation %s',
        desc='final interpolation of the corrected volumes (default: linear)',
    )
    no_motion_correction = traits.Bool(
        argstr='--no-motion-correction',
        desc='skip motion correction',
    )
    no_slice_timing = traits.Bool(
        argstr='--no-slice-timing',
        desc='skip slice-timing correction even when SliceTiming is known',
    )
    mask_fraction = traits.Range(
        low=0.0,
        high=1.0,
        argstr='--mask-fraction %s',
        desc='brain-mask threshold as a fraction of the p2..p98 range (default: 0.1)',
    )
    mask_dilations = traits.Range(
        low=0,
        high=10,
        argstr='--mask-dilations %d',
        desc='3x3x3 dilations of the brain mask (default: 1)',
    )
    fwhm = traits.Range(
        low=0.0,
        high=50.0,
        argstr='--fwhm %s',
        desc='smoothing FWHM in mm (0 = off) (default: 5.0)',
    )
    grand_mean = traits.Range(
        low=0.0,
        argstr='--grand-mean %s',
        desc='in-mask median after scaling (0 = off) (default: 10000.0)',
    )
    highpass = traits.Range(
        low=0.0,
        argstr='--highpass %s',
        desc='high-pass cutoff in s (0 = off) (default: 100.0)',
    )
    no_shard = traits.Bool(
        argstr='--no-shard',
        desc='do not write the time-series shard',
    )
    template = File(
        exists=True,
        argstr='--template %s',
        desc='register the mean image to this 3-D template (12-DOF affine, mutual information) and resample the run into its grid',
    )
    template_space = traits.Str(
        argstr='--template-space %s',
        desc='space- label of the template outputs (default: MNI152NLin6Asym)',
    )
    force = traits.Bool(
        argstr='--force',
        desc='recompute even if the outputs are up to date',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    nthreads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = all cores) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-preproc'] = GeneratedSpec(
    class_name='Preproc',
    input_spec=PreprocInputSpec,
    version='0.1.0',
    summary='FEAT-equivalent preprocessing of one BOLD run, with BIDS-derivative outputs',
    arguments={
        'bold': 'bold',
        'output_dir': 'output_dir',
        'sidecar': 'sidecar',
        'reference': 'reference',
        'reference_volume': 'reference-volume',
        'interpolation': 'interpolation',
        'no_motion_correction': 'no-motion-correction',
        'no_slice_timing': 'no-slice-timing',
        'mask_fraction': 'mask-fraction',
        'mask_dilations': 'mask-dilations',
        'fwhm': 'fwhm',
        'grand_mean': 'grand-mean',
        'highpass': 'highpass',
        'no_shard': 'no-shard',
        'template': 'template',
        'template_space': 'template-space',
        'force': 'force',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'nthreads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-preproc


# ---- dcae-train (generated from `dcae-train --usage-json`, version 0.1.0)
class TrainInputSpec(CommandLineInputSpec):
    """Inputs of dcae-train: train the convolutional autoencoder on time-series shards (this machine)."""

    shards = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='%s',
        position=0,
        mandatory=True,
        desc='time-series shards (.npy with .json sidecars)',
    )
    output_dir = Directory(
        genfile=True,
        argstr='--output-dir %s',
        desc="folder for model.pt, model.yaml, loss.tsv (default: a name in the node's folder)",
    )
    model_config = File(
        exists=True,
        argstr='--model-config %s',
        desc='YAML of model./loss./optimizer./train. keys (defaults: DESIGN.md)',
    )
    epochs = traits.Range(
        low=0,
        argstr='--epochs %d',
        desc='override train.epochs',
    )
    max_steps = traits.Range(
        low=0,
        argstr='--max-steps %d',
        desc='override train.max_steps',
    )
    target_loss = traits.Range(
        low=0.0,
        argstr='--target-loss %s',
        desc='override train.target_loss',
    )
    resume = traits.Bool(
        argstr='--resume',
        desc='continue from output-dir/model.pt if it exists',
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N (needs a LibTorch with CUDA) (default: cpu)',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    nthreads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = all cores) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-train'] = GeneratedSpec(
    class_name='Train',
    input_spec=TrainInputSpec,
    version='0.1.0',
    summary='train the convolutional autoencoder on time-series shards (this machine)',
    arguments={
        'shards': 'shards',
        'output_dir': 'output-dir',
        'model_config': 'model-config',
        'epochs': 'epochs',
        'max_steps': 'max-steps',
        'target_loss': 'target-loss',
        'resume': 'resume',
        'device': 'device',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'nthreads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-train


# ---- dcae-encode (generated from `dcae-encode --usage-json`, version 0.1.0)
class EncodeInputSpec(CommandLineInputSpec):
    """Inputs of dcae-encode: high-level features of every voxel of time-series shards, with a trained model."""

    shards = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='%s',
        position=0,
        mandatory=True,
        desc='time-series shards to encode',
    )
    checkpoint = File(
        exists=True,
        argstr='--checkpoint %s',
        mandatory=True,
        desc='model.pt written by dcae-train',
    )
    output_dir = Directory(
        genfile=True,
        argstr='--output-dir %s',
        desc="folder for the feature shards (default: a name in the node's folder)",
    )
    reconstructions = traits.Bool(
        argstr='--reconstructions',
        desc='also write the reconstructions',
    )
    batch_size = traits.Range(
        low=1,
        argstr='--batch-size %d',
        desc='voxels per batch (default: 1024)',
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N (needs a LibTorch with CUDA) (default: cpu)',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    nthreads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = all cores) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-encode'] = GeneratedSpec(
    class_name='Encode',
    input_spec=EncodeInputSpec,
    version='0.1.0',
    summary='high-level features of every voxel of time-series shards, with a trained model',
    arguments={
        'shards': 'shards',
        'checkpoint': 'checkpoint',
        'output_dir': 'output-dir',
        'reconstructions': 'reconstructions',
        'batch_size': 'batch-size',
        'device': 'device',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'nthreads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-encode


# ---- dcae-report (generated from `dcae-report --usage-json`, version 0.1.0)
class ReportInputSpec(CommandLineInputSpec):
    """Inputs of dcae-report: write the HTML reports (per participant and group) of a dcae derivatives folder."""

    derivatives_dir = Directory(
        exists=True,
        argstr='%s',
        position=0,
        mandatory=True,
        desc='the dcae derivatives folder',
    )
    output_dir = Directory(
        argstr='--output-dir %s',
        desc='where to write the pages (default: derivatives_dir)',
    )
    level = traits.Enum(
        'participant',
        'group',
        'all',
        argstr='--level %s',
        desc='which pages to write (default: all)',
    )
    participant_label = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--participant-label %s',
        desc='participants to report ("01" or "sub-01"; default: all)',
    )
    loss = File(
        exists=True,
        argstr='--loss %s',
        desc='training loss log (default: <derivatives_dir>/model/loss.tsv)',
    )
    mask_slices = traits.Range(
        low=1,
        high=64,
        argstr='--mask-slices %d',
        desc='axial slices in a brain-mask mosaic (default: 12)',
    )
    map_slices = traits.Range(
        low=1,
        high=64,
        argstr='--map-slices %d',
        desc='axial slices in a spatial-map mosaic (default: 8)',
    )
    map_threshold = traits.Range(
        low=0.0,
        high=1.0,
        argstr='--map-threshold %s',
        desc="spatial maps show |value| >= this fraction of the map's peak (default: 0.25)",
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    nthreads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = all cores) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-report'] = GeneratedSpec(
    class_name='Report',
    input_spec=ReportInputSpec,
    version='0.1.0',
    summary='write the HTML reports (per participant and group) of a dcae derivatives folder',
    arguments={
        'derivatives_dir': 'derivatives_dir',
        'output_dir': 'output-dir',
        'level': 'level',
        'participant_label': 'participant-label',
        'loss': 'loss',
        'mask_slices': 'mask-slices',
        'map_slices': 'map-slices',
        'map_threshold': 'map-threshold',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'nthreads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-report
