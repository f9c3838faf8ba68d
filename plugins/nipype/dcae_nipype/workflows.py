"""Workflow factories: dcae's participant and group levels as one Nipype workflow."""
from nipype.interfaces.utility import IdentityInterface
from nipype.pipeline import engine as pe

from .interfaces import DictLearn, Encode, Preproc, Train

# Nodes whose outputs are time-series shards (X.npy with its X.json sidecar): Nipype would
# remove a sidecar no output names, so these nodes keep their outputs (a per-node setting, no
# change to Nipype as a whole; see keep_shard_sidecars for the global alternative).
_KEEP_OUTPUTS = {"execution": {"remove_unnecessary_outputs": "false"}}


def init_dcae_wf(name="dcae_wf", atoms=100, train_steps=None, epochs=None, num_threads=None,
                 prefix="task"):
    """The BIDS-App's levels as a workflow: every run preprocessed (participant level, one
    dcae-preproc per run, MapNode), then the autoencoder trained on all runs' shards, every
    voxel encoded, and dictionaries learned on the raw signals and on the features, each run's
    atoms scored against its own events (group level).

    Inputs (inputnode): bold_files, events_files (one per run, in the same order).
    Outputs (outputnode): shards, checkpoint, raw_ and dcae_ decomposition, mixing (each run's
    temporal atoms), components (each run's maps: the codes) and correlation_components
    (each run's r-maps: each voxel's r with each atom's time course), dcae_decoder_mixing.

        wf = init_dcae_wf(atoms=20, train_steps=200)
        wf.inputs.inputnode.bold_files = [...]
        wf.inputs.inputnode.events_files = [...]
        wf.run()
    """
    wf = pe.Workflow(name=name)
    inputnode = pe.Node(IdentityInterface(fields=["bold_files", "events_files"]), name="inputnode")
    outputnode = pe.Node(IdentityInterface(fields=[
        "shards", "checkpoint", "raw_decomposition", "dcae_decomposition", "raw_mixing",
        "dcae_mixing", "raw_components", "dcae_components", "raw_correlation_components",
        "dcae_correlation_components", "dcae_decoder_mixing"]),
        name="outputnode")
    threads = {} if num_threads is None else {"num_threads": num_threads}
    preproc = pe.MapNode(Preproc(**threads), iterfield=["bold"], name="preproc")
    preproc.config = _KEEP_OUTPUTS
    train_args = dict(threads)
    if train_steps is not None:
        train_args["max_steps"] = train_steps
    if epochs is not None:
        train_args["epochs"] = epochs
    train = pe.Node(Train(**train_args), name="train")
    encode = pe.Node(Encode(**threads), name="encode")
    encode.config = _KEEP_OUTPUTS
    raw = pe.Node(DictLearn(label="rawodl", atoms=atoms, prefix=prefix, **threads),
                  name="dictlearn_raw")
    dcae = pe.Node(DictLearn(label="dcaeodl", atoms=atoms, prefix=prefix, **threads),
                   name="dictlearn_dcae")
    wf.connect([
        (inputnode, preproc, [("bold_files", "bold")]),
        (preproc, train, [("shard", "shards")]),
        (preproc, encode, [("shard", "shards")]),
        (train, encode, [("checkpoint", "checkpoint")]),
        (preproc, raw, [("shard", "shards")]),
        (inputnode, raw, [("events_files", "events")]),
        (encode, dcae, [("features", "shards")]),
        (preproc, dcae, [("shard", "signals")]),
        (train, dcae, [("checkpoint", "checkpoint")]),
        (inputnode, dcae, [("events_files", "events")]),
        (preproc, outputnode, [("shard", "shards")]),
        (train, outputnode, [("checkpoint", "checkpoint")]),
        (raw, outputnode, [("decomposition", "raw_decomposition"), ("mixing", "raw_mixing"),
                           ("components", "raw_components"),
                           ("correlation_components", "raw_correlation_components")]),
        (dcae, outputnode, [("decomposition", "dcae_decomposition"), ("mixing", "dcae_mixing"),
                            ("components", "dcae_components"),
                            ("correlation_components", "dcae_correlation_components"),
                            ("decoder_mixing", "dcae_decoder_mixing")]),
    ])
    return wf
