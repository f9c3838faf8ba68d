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
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
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
        'num_threads': 'nthreads',
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
        desc='final interpolation of the corrected volumes (default: bspline)',
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
    motion_regressors = traits.Enum(
        '0',
        '6',
        '24',
        argstr='--motion-regressors %s',
        desc="motion regressors taken out of the shard's series before z-scoring: 0 (none), 6 (the parameters) or 24 (with derivatives and squares) (default: 6)",
    )
    tissue_regressors = traits.Bool(
        argstr='--tissue-regressors',
        desc="also take the mean white-matter and CSF series (the confounds' white_matter and csf) out of the shard's series",
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
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
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
        'motion_regressors': 'motion-regressors',
        'tissue_regressors': 'tissue-regressors',
        'no_shard': 'no-shard',
        'template': 'template',
        'template_space': 'template-space',
        'force': 'force',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
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
        desc="continue from output-dir/model.pt if it exists; with --workers, from the servers' checkpoints in output-dir/dist (same shards and settings)",
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N (needs a LibTorch with CUDA) (default: cpu)',
    )
    workers = traits.Range(
        low=0,
        argstr='--workers %d',
        desc='train with N worker processes and parameter servers (0: this process alone) (default: 0)',
    )
    launcher = traits.Enum(
        'local',
        'slurm',
        'manual',
        argstr='--launcher %s',
        desc='local: servers and workers on this machine over loopback; slurm: under srun, rank 0 serves and the others train (ranks from SLURM_PROCID, SLURM_NTASKS, SLURM_JOB_NODELIST); manual: print the dcae-ps/dcae-worker commands to start by hand (default: local)',
    )
    port = traits.Range(
        low=1,
        high=65535,
        argstr='--port %d',
        desc="--launcher slurm: the server's port on the first node (default: 50051)",
    )
    ps_address = traits.Str(
        argstr='--ps-address %s',
        desc="--launcher slurm: where workers reach rank 0's server (HOST or HOST:PORT); default: the address rank 0 publishes in <output>/dist/address (its NodeAddr, else its interface's IPv4 address), then the first node's name",
    )
    servers = traits.Range(
        low=1,
        argstr='--servers %d',
        desc='parameter-server processes (default: 1)',
    )
    ps_shards = traits.Range(
        low=0,
        argstr='--ps-shards %d',
        desc='parameter shards over the servers (0: one per server) (default: 0)',
    )
    n_fetch = traits.Range(
        low=1,
        argstr='--n-fetch %d',
        desc="steps between a worker's fetches of the parameters (default: 1)",
    )
    n_push = traits.Range(
        low=1,
        argstr='--n-push %d',
        desc="steps between a worker's pushes of its accumulated gradient (default: 1)",
    )
    block_rows = traits.Range(
        low=1,
        argstr='--block-rows %d',
        desc='voxels per data partition (partitions = runs x voxel blocks) (default: 2048)',
    )
    warmup_steps = traits.Range(
        low=0,
        argstr='--warmup-steps %d',
        desc='steps the first worker trains alone before the others join (default: 50)',
    )
    fp16 = traits.Bool(
        argstr='--fp16',
        desc='transfer parameters and gradients as fp16',
    )
    overlap = traits.Bool(
        argstr='--overlap',
        desc='workers push and fetch on a background thread while they compute the next steps',
    )
    max_staleness = traits.Range(
        low=-1,
        argstr='--max-staleness %d',
        desc='drop pushes more than this many updates old (-1: never) (default: -1)',
    )
    lease_timeout = traits.Range(
        low=0.5,
        argstr='--lease-timeout %s',
        desc="seconds without a heartbeat after which a worker's partition goes to another (default: 10.0)",
    )
    ps_checkpoint_every = traits.Range(
        low=0.0,
        argstr='--ps-checkpoint-every %s',
        desc="seconds between the servers' checkpoints (default: 5.0)",
    )
    sync = traits.Bool(
        argstr='--sync',
        desc="the synchronous baseline instead: gradients all-reduced every step through LibTorch's c10d Gloo process group (local launcher only)",
    )
    tls_cert = File(
        exists=True,
        argstr='--tls-cert %s',
        desc="the servers' TLS certificate chain (PEM); with --tls-key",
    )
    tls_key = File(
        exists=True,
        argstr='--tls-key %s',
        desc="the servers' TLS private key (PEM); with --tls-cert",
    )
    tls_ca = File(
        exists=True,
        argstr='--tls-ca %s',
        desc="root certificate of the servers' TLS certificates (PEM): use TLS",
    )
    tls_name = traits.Str(
        argstr='--tls-name %s',
        desc="name the servers' certificates must carry (default: the host)",
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
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
        'workers': 'workers',
        'launcher': 'launcher',
        'port': 'port',
        'ps_address': 'ps-address',
        'servers': 'servers',
        'ps_shards': 'ps-shards',
        'n_fetch': 'n-fetch',
        'n_push': 'n-push',
        'block_rows': 'block-rows',
        'warmup_steps': 'warmup-steps',
        'fp16': 'fp16',
        'overlap': 'overlap',
        'max_staleness': 'max-staleness',
        'lease_timeout': 'lease-timeout',
        'ps_checkpoint_every': 'ps-checkpoint-every',
        'sync': 'sync',
        'tls_cert': 'tls-cert',
        'tls_key': 'tls-key',
        'tls_ca': 'tls-ca',
        'tls_name': 'tls-name',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
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
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
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
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-encode


# ---- dcae-dictlearn (generated from `dcae-dictlearn --usage-json`, version 0.1.0)
class DictLearnInputSpec(CommandLineInputSpec):
    """Inputs of dcae-dictlearn: online dictionary learning on time-series or DCAE feature shards, scored against the task."""

    shards = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='%s',
        position=0,
        mandatory=True,
        desc='raw time-series or feature shards (.npy), one per run',
    )
    output_dir = Directory(
        genfile=True,
        argstr='--output-dir %s',
        desc="derivatives folder for the outputs (default: a name in the node's folder)",
    )
    events = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='--events %s',
        desc='BIDS events.tsv or HCP EVs/ folder of each run (one per shard, in order), or one for all runs',
    )
    signals = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='--signals %s',
        desc='raw shards behind feature shards (default: the sources their sidecars name)',
    )
    prefix = traits.Str(
        argstr='--prefix %s',
        desc='file-name prefix (default: the entities the runs share)',
    )
    label = traits.Str(
        argstr='--label %s',
        desc='desc label (default: rawodl or dcaeodl)',
    )
    atoms = traits.Range(
        low=1,
        argstr='--atoms %d',
        desc='number of atoms K (default: 100)',
    )
    lambda_value = traits.Range(
        low=0.0,
        argstr='--lambda %s',
        desc="l1 weight (default 3/sqrt(T), T the raw series' length, for raw signals and features alike)",
    )
    batch_size = traits.Range(
        low=1,
        argstr='--batch-size %d',
        desc='signals per mini-batch (default: 256)',
    )
    passes = traits.Range(
        low=0.0,
        argstr='--passes %s',
        desc='passes over the data (default: 1.0)',
    )
    iterations = traits.Range(
        low=1,
        argstr='--iterations %d',
        desc='mini-batches (overrides --passes)',
    )
    time_budget = traits.Range(
        low=0.0,
        argstr='--time-budget %s',
        desc='stop learning after this many seconds',
    )
    seed = traits.Range(
        low=0,
        argstr='--seed %d',
        desc='random seed (default: 1)',
    )
    positive = traits.Bool(
        argstr='--positive',
        desc='non-negative codes',
    )
    highpass = traits.Range(
        low=0.0,
        argstr='--highpass %s',
        desc="high-pass cutoff (s) applied to the design (default: the shard sidecar's; 0 = none)",
    )
    start_time = traits.Range(
        low=0.0,
        argstr='--start-time %s',
        desc="time (s) within the TR that volume 0 represents (default: the shard sidecar's StartTime)",
    )
    null_shifts = traits.Range(
        low=1,
        argstr='--null-shifts %d',
        desc='circular shifts of the design for the chance level (default: 200)',
    )
    checkpoint = File(
        exists=True,
        argstr='--checkpoint %s',
        desc='model.pt: also bring feature atoms to time through the decoder',
    )
    decoder_readout = traits.Enum(
        'upsampling',
        'ablation',
        argstr='--decoder-readout %s',
        desc="upsampling: each atom decoded without switches (the paper's); ablation: per run, what the atom adds to the decoded series of the voxels that use it (default: upsampling)",
    )
    decoder_voxels = traits.Range(
        low=1,
        argstr='--decoder-voxels %d',
        desc='voxels per atom behind the decoder readout (default: 32)',
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N for the decoder (default: cpu)',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-dictlearn'] = GeneratedSpec(
    class_name='DictLearn',
    input_spec=DictLearnInputSpec,
    version='0.1.0',
    summary='online dictionary learning on time-series or DCAE feature shards, scored against the task',
    arguments={
        'shards': 'shards',
        'output_dir': 'output-dir',
        'events': 'events',
        'signals': 'signals',
        'prefix': 'prefix',
        'label': 'label',
        'atoms': 'atoms',
        'lambda_value': 'lambda',
        'batch_size': 'batch-size',
        'passes': 'passes',
        'iterations': 'iterations',
        'time_budget': 'time-budget',
        'seed': 'seed',
        'positive': 'positive',
        'highpass': 'highpass',
        'start_time': 'start-time',
        'null_shifts': 'null-shifts',
        'checkpoint': 'checkpoint',
        'decoder_readout': 'decoder-readout',
        'decoder_voxels': 'decoder-voxels',
        'device': 'device',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-dictlearn


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
    ground_truth = Directory(
        exists=True,
        argstr='--ground-truth %s',
        desc="dcae-simulate's ground truth, to compare the maps and time courses with the planted networks (default: <raw dataset>/derivatives/groundtruth when the derivatives name their raw dataset)",
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
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
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
        'ground_truth': 'ground-truth',
        'mask_slices': 'mask-slices',
        'map_slices': 'map-slices',
        'map_threshold': 'map-threshold',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir',),
)
# ---- end dcae-report


# ---- dcae-bids-app (generated from `dcae-bids-app --usage-json`, version 0.1.0)
class BidsAppInputSpec(CommandLineInputSpec):
    """Inputs of dcae-bids-app: BIDS-App: functional networks of task fMRI with a distributed deep convolutional autoencoder."""

    bids_dir = Directory(
        exists=True,
        argstr='%s',
        position=0,
        mandatory=True,
        desc='the BIDS dataset',
    )
    output_dir = Directory(
        genfile=True,
        argstr='%s',
        position=1,
        desc="the derivatives folder (default: a name in the node's folder)",
    )
    analysis_level = traits.Enum(
        'participant',
        'group',
        argstr='%s',
        position=2,
        mandatory=True,
        desc='participant or group',
    )
    participant_label = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--participant-label %s',
        desc='participants to analyse (sub- optional; default all)',
    )
    session_label = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--session-label %s',
        desc='sessions to analyse (ses- optional; default all)',
    )
    task = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--task %s',
        desc='tasks to analyse (default: every task with events)',
    )
    work_dir = Directory(
        argstr='--work-dir %s',
        desc='intermediate files (default: <output_dir>/work)',
    )
    mem = traits.Str(
        argstr='--mem %s',
        desc='memory for training, with units (e.g. 8GB): half caches shard rows',
    )
    participant_output = Directory(
        exists=True,
        argstr='--participant-output %s',
        desc="group level: the participant level's output folder, when it is not output_dir (a CBRAIN task of its own): its files are linked (or copied) into output_dir first",
    )
    skip_bids_validation = traits.Bool(
        argstr='--skip-bids-validation',
        desc='do not run the BIDS validator',
    )
    clean_workdir = traits.Bool(
        argstr='--clean-workdir',
        desc='remove the work dir first and recompute everything',
    )
    fwhm = traits.Range(
        low=0.0,
        high=50.0,
        argstr='--fwhm %s',
        desc='smoothing FWHM in mm (0 = off) (default: 5.0)',
    )
    highpass = traits.Range(
        low=0.0,
        argstr='--highpass %s',
        desc='high-pass cutoff in s (0 = off) (default: 100.0)',
    )
    no_slice_timing = traits.Bool(
        argstr='--no-slice-timing',
        desc='skip slice-timing correction even when SliceTiming is known',
    )
    motion_regressors = traits.Enum(
        '0',
        '6',
        '24',
        argstr='--motion-regressors %s',
        desc='motion regressors taken out of the series before decomposition: 0, 6 (the parameters) or 24 (with derivatives and squares) (default: 6)',
    )
    tissue_regressors = traits.Bool(
        argstr='--tissue-regressors',
        desc='also regress the mean white-matter and CSF series out',
    )
    output_spaces = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--output-spaces %s',
        desc="spaces of the preprocessed runs: native and/or a template label (e.g. MNI152NLin6Asym); with a template, the group analysis and its maps are in the template's space, so that participants are comparable (default: native)",
    )
    template = File(
        exists=True,
        argstr='--template %s',
        desc="the template image of the --output-spaces template (default: TemplateFlow's tpl-<space>/tpl-<space>_res-02_desc-brain_T1w.nii.gz under $TEMPLATEFLOW_HOME, else ~/.cache/templateflow)",
    )
    model_config = File(
        exists=True,
        argstr='--model-config %s',
        desc='YAML of the autoencoder and its training (see dcae-train)',
    )
    train_steps = traits.Range(
        low=1,
        argstr='--train-steps %d',
        desc="training steps, one-process training (default: the model YAML's)",
    )
    epochs = traits.Range(
        low=1,
        argstr='--epochs %d',
        desc="training epochs (default: the model YAML's)",
    )
    workers = traits.Range(
        low=0,
        argstr='--workers %d',
        desc='train with N worker processes (Downpour SGD); 0: one process (default: 0)',
    )
    launcher = traits.Enum(
        'local',
        'slurm',
        argstr='--launcher %s',
        desc='how workers and servers start (see dcae-train) (default: local)',
    )
    ps = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--ps %s',
        desc='host:port of parameter servers started by hand (dcae-ps): this app trains as one of their workers (token from DCAE_PS_TOKEN)',
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N for training, encoding and decoding (a LibTorch with CUDA) (default: cpu)',
    )
    train_subjects = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--train-subjects %s',
        desc='participants whose runs train the autoencoder; the others are decomposed and scored (default: all, for both)',
    )
    atoms = traits.Range(
        low=1,
        argstr='--atoms %d',
        desc='dictionary atoms K (raw signals and features) (default: 100)',
    )
    lambda_value = traits.Range(
        low=0.0,
        argstr='--lambda %s',
        desc='l1 weight of the sparse codes (default 3/sqrt(T), raw signals and features alike)',
    )
    dl_passes = traits.Range(
        low=0.0,
        argstr='--dl-passes %s',
        desc='passes over the data (default: 1.0)',
    )
    decoder_readout = traits.Enum(
        'upsampling',
        'ablation',
        argstr='--decoder-readout %s',
        desc='how feature atoms are brought to time through the decoder (see dcae-dictlearn) (default: upsampling)',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-bids-app'] = GeneratedSpec(
    class_name='BidsApp',
    input_spec=BidsAppInputSpec,
    version='0.1.0',
    summary='BIDS-App: functional networks of task fMRI with a distributed deep convolutional autoencoder',
    arguments={
        'bids_dir': 'bids_dir',
        'output_dir': 'output_dir',
        'analysis_level': 'analysis_level',
        'participant_label': 'participant-label',
        'session_label': 'session-label',
        'task': 'task',
        'work_dir': 'work-dir',
        'mem': 'mem',
        'participant_output': 'participant-output',
        'skip_bids_validation': 'skip-bids-validation',
        'clean_workdir': 'clean-workdir',
        'fwhm': 'fwhm',
        'highpass': 'highpass',
        'no_slice_timing': 'no-slice-timing',
        'motion_regressors': 'motion-regressors',
        'tissue_regressors': 'tissue-regressors',
        'output_spaces': 'output-spaces',
        'template': 'template',
        'model_config': 'model-config',
        'train_steps': 'train-steps',
        'epochs': 'epochs',
        'workers': 'workers',
        'launcher': 'launcher',
        'ps': 'ps',
        'device': 'device',
        'train_subjects': 'train-subjects',
        'atoms': 'atoms',
        'lambda_value': 'lambda',
        'dl_passes': 'dl-passes',
        'decoder_readout': 'decoder-readout',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('output_dir', 'work_dir'),
)
# ---- end dcae-bids-app


# ---- dcae-ps (generated from `dcae-ps --usage-json`, version 0.1.0)
class ParameterServerInputSpec(CommandLineInputSpec):
    """Inputs of dcae-ps: parameter server of distributed training (one shard or several of the model's parameters)."""

    listen = traits.Str(
        argstr='--listen %s',
        desc='host:port to listen on (port 0: any free port) (default: 127.0.0.1:50051)',
    )
    shards = traits.Range(
        low=1,
        argstr='--shards %d',
        desc='number of shards S the parameters are split into (default: 1)',
    )
    host_shards = InputMultiObject(
        traits.Range(low=0),
        sep=' ',
        argstr='--host-shards %s',
        desc='the shards this server hosts (default: all S)',
    )
    token_file = File(
        exists=True,
        argstr='--token-file %s',
        desc="file whose first line is the job's token (default: the DCAE_PS_TOKEN environment variable; never given on the command line)",
    )
    tls_cert = File(
        exists=True,
        argstr='--tls-cert %s',
        desc="the servers' TLS certificate chain (PEM); with --tls-key",
    )
    tls_key = File(
        exists=True,
        argstr='--tls-key %s',
        desc="the servers' TLS private key (PEM); with --tls-cert",
    )
    checkpoint = File(
        argstr='--checkpoint %s',
        desc='server checkpoint file (resumed from when it exists)',
    )
    checkpoint_every = traits.Range(
        low=0.0,
        argstr='--checkpoint-every %s',
        desc='seconds between checkpoints (0: only at the end) (default: 30.0)',
    )
    max_staleness = traits.Range(
        low=-1,
        argstr='--max-staleness %d',
        desc='drop pushes more than this many updates old (-1: never) (default: -1)',
    )
    lease_timeout = traits.Range(
        low=0.5,
        argstr='--lease-timeout %s',
        desc="seconds without a heartbeat after which a worker's partition goes to another (default: 10.0)",
    )
    port_file = File(
        argstr='--port-file %s',
        desc='write the bound port here once listening',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-ps'] = GeneratedSpec(
    class_name='ParameterServer',
    input_spec=ParameterServerInputSpec,
    version='0.1.0',
    summary="parameter server of distributed training (one shard or several of the model's parameters)",
    arguments={
        'listen': 'listen',
        'shards': 'shards',
        'host_shards': 'host-shards',
        'token_file': 'token-file',
        'tls_cert': 'tls-cert',
        'tls_key': 'tls-key',
        'checkpoint': 'checkpoint',
        'checkpoint_every': 'checkpoint-every',
        'max_staleness': 'max-staleness',
        'lease_timeout': 'lease-timeout',
        'port_file': 'port-file',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('checkpoint', 'port_file'),
)
# ---- end dcae-ps


# ---- dcae-worker (generated from `dcae-worker --usage-json`, version 0.1.0)
class WorkerInputSpec(CommandLineInputSpec):
    """Inputs of dcae-worker: worker of distributed training: a model replica that trains on leased data partitions."""

    shards = InputMultiObject(
        File(exists=True),
        sep=' ',
        argstr='%s',
        position=0,
        mandatory=True,
        desc='time-series shards (the same list for every worker)',
    )
    ps = InputMultiObject(
        traits.Str,
        sep=' ',
        argstr='--ps %s',
        desc='host:port of every parameter server (not with --sync)',
    )
    token_file = File(
        exists=True,
        argstr='--token-file %s',
        desc="file whose first line is the job's token (default: the DCAE_PS_TOKEN environment variable; never given on the command line)",
    )
    tls_ca = File(
        exists=True,
        argstr='--tls-ca %s',
        desc="root certificate of the servers' TLS certificates (PEM): use TLS",
    )
    tls_name = traits.Str(
        argstr='--tls-name %s',
        desc="name the servers' certificates must carry (default: the host)",
    )
    model_config = File(
        exists=True,
        argstr='--model-config %s',
        desc='YAML of model./loss./optimizer./train. keys',
    )
    n_fetch = traits.Range(
        low=1,
        argstr='--n-fetch %d',
        desc="steps between a worker's fetches of the parameters (default: 1)",
    )
    n_push = traits.Range(
        low=1,
        argstr='--n-push %d',
        desc="steps between a worker's pushes of its accumulated gradient (default: 1)",
    )
    block_rows = traits.Range(
        low=1,
        argstr='--block-rows %d',
        desc='voxels per data partition (partitions = runs x voxel blocks) (default: 2048)',
    )
    warmup_steps = traits.Range(
        low=0,
        argstr='--warmup-steps %d',
        desc='steps the first worker trains alone before the others join (default: 50)',
    )
    fp16 = traits.Bool(
        argstr='--fp16',
        desc='transfer parameters and gradients as fp16',
    )
    overlap = traits.Bool(
        argstr='--overlap',
        desc='workers push and fetch on a background thread while they compute the next steps',
    )
    retry_budget = traits.Range(
        low=0.0,
        argstr='--retry-budget %s',
        desc='seconds to keep retrying an unreachable server (default: 120.0)',
    )
    rank = traits.Range(
        low=0,
        argstr='--rank %d',
        desc="this worker's number, for the logs (default: 0)",
    )
    device = traits.Str(
        argstr='--device %s',
        desc='cpu or cuda:N (needs a LibTorch with CUDA) (default: cpu)',
    )
    sync = traits.Bool(
        argstr='--sync',
        desc='synchronous data-parallel training instead of Downpour (no servers)',
    )
    world_size = traits.Range(
        low=1,
        argstr='--world-size %d',
        desc='--sync: number of workers (default: 1)',
    )
    rendezvous = File(
        argstr='--rendezvous %s',
        desc='--sync: file through which the workers meet (shared by all)',
    )
    output_dir = Directory(
        argstr='--output-dir %s',
        desc='when the job is done, write the final model.pt, loss.tsv and dist.json here (--sync: rank 0 does)',
    )
    quiet = traits.Bool(
        argstr='--quiet',
        desc='only warnings and errors on stderr; no progress',
    )
    verbose = traits.Bool(
        argstr='--verbose',
        desc='more log output (repeat for more)',
    )
    num_threads = traits.Range(
        low=0,
        argstr='--nthreads %d',
        desc='worker threads (0 = the CPUs available: affinity, cgroup quota, SLURM_CPUS_PER_TASK, OMP_NUM_THREADS) (default: 0)',
    )
    config = File(
        exists=True,
        argstr='--config %s',
        desc='YAML file of option values (keys = option names); the command line overrides it',
    )


SPECS['dcae-worker'] = GeneratedSpec(
    class_name='Worker',
    input_spec=WorkerInputSpec,
    version='0.1.0',
    summary='worker of distributed training: a model replica that trains on leased data partitions',
    arguments={
        'shards': 'shards',
        'ps': 'ps',
        'token_file': 'token-file',
        'tls_ca': 'tls-ca',
        'tls_name': 'tls-name',
        'model_config': 'model-config',
        'n_fetch': 'n-fetch',
        'n_push': 'n-push',
        'block_rows': 'block-rows',
        'warmup_steps': 'warmup-steps',
        'fp16': 'fp16',
        'overlap': 'overlap',
        'retry_budget': 'retry-budget',
        'rank': 'rank',
        'device': 'device',
        'sync': 'sync',
        'world_size': 'world-size',
        'rendezvous': 'rendezvous',
        'output_dir': 'output-dir',
        'quiet': 'quiet',
        'verbose': 'verbose',
        'num_threads': 'nthreads',
        'config': 'config',
    },
    outputs=('rendezvous', 'output_dir'),
)
# ---- end dcae-worker
