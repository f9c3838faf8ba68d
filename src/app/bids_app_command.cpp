// The BIDS-App: `dcae-bids-app bids_dir output_dir {participant,group}` runs dcae's stages as
// a BIDS-App does (fMRIPrep conventions). Each stage is the stage's own executable, run from
// the folder of this one, so every step is also reproducible by hand from the log.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "app/citation.h"
#include "app/commands.h"
#include "core/atomic_file.h"
#include "core/error.h"
#include "core/log.h"
#include "core/process.h"
#include "core/strings.h"
#include "dcae/version.h"
#include "dict/defaults.h"
#include "io/bids_layout.h"
#include "io/derivatives.h"
#include "io/json.h"
#include "io/shard.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

/// True when `inner` is `outer` or lies inside it (both made absolute and normalised).
bool is_within(const fs::path& inner, const fs::path& outer) {
  const fs::path a = fs::weakly_canonical(fs::absolute(inner)),
                 b = fs::weakly_canonical(fs::absolute(outer));
  auto ai = a.begin(), bi = b.begin();
  for (; bi != b.end() && !bi->empty(); ++ai, ++bi)
    if (ai == a.end() || *ai != *bi) return false;
  return true;
}

/// "16GB", "512 MB", "2G", "1024" (MB) → megabytes.
long long parse_memory_mb(const std::string& text) {
  std::size_t pos = 0;
  double value = 0;
  try {
    value = std::stod(text, &pos);
  } catch (const std::exception&) {
    throw usage_error("--mem: '" + text + "' is not a memory size (e.g. 16GB, 512MB)");
  }
  std::string unit = text.substr(pos);
  unit.erase(std::remove(unit.begin(), unit.end(), ' '), unit.end());
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  double mb = value;
  if (unit == "" || unit == "M" || unit == "MB" || unit == "MIB")
    mb = value;
  else if (unit == "G" || unit == "GB" || unit == "GIB")
    mb = value * 1024;
  else if (unit == "T" || unit == "TB" || unit == "TIB")
    mb = value * 1024 * 1024;
  else if (unit == "K" || unit == "KB" || unit == "KIB")
    mb = value / 1024;
  else
    throw usage_error("--mem: unknown unit '" + unit + "' in '" + text + "' (use MB, GB or TB)");
  if (!(mb >= 1)) throw usage_error("--mem: '" + text + "' is less than 1 MB");
  return static_cast<long long>(mb);
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// The time in ISO 8601 basic form (UTC), e.g. 20261207T035512Z.
std::string utc_time() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::ostringstream s;
  s << std::put_time(&tm, "%Y%m%dT%H%M%SZ");
  return s.str();
}

/// A name for one job's log and configuration: its start time and a random suffix, so that
/// jobs started in the same second (a cluster array) never share a log.
std::string job_id() {
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rd() & 0xffffffu));
  return utc_time() + "-" + suffix;
}

/// Where the output folder may be: outside the input dataset, or in its derivatives/<name>
/// (where BIDS recommends derivatives go).
bool is_in_derivatives(const fs::path& out, const fs::path& bids) {
  const fs::path d = fs::weakly_canonical(fs::absolute(bids)) / "derivatives";
  const fs::path o = fs::weakly_canonical(fs::absolute(out));
  return is_within(o, d) && o != d;
}

/// Runs the BIDS validator when it is installed; a clear warning when it is not.
void validate_dataset(const fs::path& bids, const fs::path& log_file) {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("DCAE_BIDS_VALIDATOR")) candidates.emplace_back(env);
  const char* home = std::getenv("HOME");
  const char* cache = std::getenv("DCAE_TOOLS_CACHE");
  const fs::path cache_dir =
      cache ? fs::path(cache) : fs::path(home ? home : "/tmp") / ".cache" / "dcae";
  candidates.push_back(cache_dir / "bids-validator" / "node_modules" / ".bin" / "bids-validator");
  candidates.emplace_back("/usr/local/bin/bids-validator");
  candidates.emplace_back("/usr/bin/bids-validator");
  for (const auto& c : candidates) {
    if (!fs::exists(c)) continue;
    log::info("validating ", bids.string(), " with ", c.string());
    const int rc = run_process(
        {c.string(), bids.string(), "--ignoreWarnings", "--ignoreNiftiHeaders"}, log_file);
    if (rc != 0)
      throw input_error(
          bids.string() +
          ": the BIDS validator found errors (see above; --skip-bids-validation to go on anyway)");
    return;
  }
  log::warn(
      "the BIDS validator is not installed (containers/install-bids-validator.sh installs it): ",
      bids.string(), " was not validated");
}

class BidsAppCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-bids-app";
    u.summary = "BIDS-App: functional networks of task fMRI with a distributed deep convolutional "
                "autoencoder";
    u.description =
        "participant: validates the dataset (the official bids-validator when installed),\n"
        "preprocesses every selected run (dcae-preproc) and writes the participant report.\n"
        "group: trains the autoencoder on every participant's time-series shards (dcae-train,\n"
        "distributed with --workers), encodes every voxel (dcae-encode), learns dictionaries on\n"
        "the raw signals and on the features (dcae-dictlearn), scores their atoms against the\n"
        "task, and writes the reports (dcae-report). Outputs form a BIDS-Derivatives dataset;\n"
        "completed runs are skipped on a re-run (--clean-workdir starts over); logs and the\n"
        "exact configuration go to <output_dir>/logs.";
    auto& bids = add_argument(u, "bids_dir", ArgKind::kInputDir, "the BIDS dataset");
    bids.positional = bids.required = true;
    auto& out = add_argument(u, "output_dir", ArgKind::kOutputDir, "the derivatives folder");
    out.positional = out.required = true;
    auto& level = add_argument(u, "analysis_level", ArgKind::kChoice, "participant or group");
    level.positional = level.required = true;
    level.choices = {"participant", "group"};
    auto& part = add_argument(u, "participant-label", ArgKind::kStringList,
                              "participants to analyse (sub- optional; default all)", "Selection");
    part.aliases = {"participant_label"};
    add_argument(u, "session-label", ArgKind::kStringList,
                 "sessions to analyse (ses- optional; default all)", "Selection")
        .aliases = {"session_label"};
    add_argument(u, "task", ArgKind::kStringList,
                 "tasks to analyse (default: every task with events)", "Selection");
    auto& w = add_argument(u, "work-dir", ArgKind::kOutputDir,
                           "intermediate files (default: <output_dir>/work)", "Resources");
    w.short_flag = "w";
    w.aliases = {"work_dir"};
    add_argument(u, "mem", ArgKind::kString,
                 "memory for training, with units (e.g. 8GB): half caches shard rows", "Resources")
        .value_name = "SIZE";
    add_argument(u, "participant-output", ArgKind::kInputDir,
                 "group level: the participant level's output folder, when it is not output_dir "
                 "(a CBRAIN task of its own): its files are linked (or copied) into output_dir "
                 "first")
        .value_name = "DIR";
    add_argument(u, "skip-bids-validation", ArgKind::kFlag, "do not run the BIDS validator")
        .aliases = {"skip_bids_validation"};
    add_argument(u, "clean-workdir", ArgKind::kFlag,
                 "remove the work dir first and recompute everything")
        .aliases = {"clean_workdir"};
    // Preprocessing: dcae-preproc's options, passed through.
    auto& fwhm =
        add_argument(u, "fwhm", ArgKind::kFloat, "smoothing FWHM in mm (0 = off)", "Preprocessing");
    fwhm.default_value = "5";
    fwhm.min = 0;
    fwhm.max = 50;
    fwhm.value_name = "MM";
    auto& hp = add_argument(u, "highpass", ArgKind::kFloat, "high-pass cutoff in s (0 = off)",
                            "Preprocessing");
    hp.default_value = "100";
    hp.min = 0;
    hp.value_name = "S";
    add_argument(u, "no-slice-timing", ArgKind::kFlag,
                 "skip slice-timing correction even when SliceTiming is known", "Preprocessing");
    auto& mr = add_argument(u, "motion-regressors", ArgKind::kChoice,
                            "motion regressors taken out of the series before decomposition: 0, "
                            "6 (the parameters) or 24 (with derivatives and squares)",
                            "Preprocessing");
    mr.choices = {"0", "6", "24"};
    mr.default_value = "6";
    add_argument(u, "tissue-regressors", ArgKind::kFlag,
                 "also regress the mean white-matter and CSF series out", "Preprocessing");
    auto& spaces = add_argument(
        u, "output-spaces", ArgKind::kStringList,
        "spaces of the preprocessed runs: native and/or a template label (e.g. "
        "MNI152NLin6Asym); with a template, the group analysis and its maps are in the "
        "template's space, so that participants are comparable",
        "Preprocessing");
    spaces.default_value = "native";
    spaces.value_name = "SPACE";
    add_argument(u, "template", ArgKind::kInputFile,
                 "the template image of the --output-spaces template (default: TemplateFlow's "
                 "tpl-<space>/tpl-<space>_res-02_desc-brain_T1w.nii.gz under $TEMPLATEFLOW_HOME, "
                 "else ~/.cache/templateflow)",
                 "Preprocessing")
        .value_name = "NIFTI";
    add_argument(u, "model-config", ArgKind::kInputFile,
                 "YAML of the autoencoder and its training (see dcae-train)", "Training")
        .value_name = "YAML";
    add_argument(u, "train-steps", ArgKind::kInt,
                 "training steps, one-process training (default: the model YAML's)", "Training")
        .min = 1;
    add_argument(u, "epochs", ArgKind::kInt, "training epochs (default: the model YAML's)",
                 "Training")
        .min = 1;
    auto& workers =
        add_argument(u, "workers", ArgKind::kInt,
                     "train with N worker processes (Downpour SGD); 0: one process", "Training");
    workers.default_value = "0";
    workers.min = 0;
    auto& launcher = add_argument(u, "launcher", ArgKind::kChoice,
                                  "how workers and servers start (see dcae-train)", "Training");
    launcher.choices = {"local", "slurm"};
    launcher.default_value = "local";
    auto& ps = add_argument(
        u, "ps", ArgKind::kStringList,
        "host:port of parameter servers started by hand (dcae-ps): this app trains as one of "
        "their workers (token from DCAE_PS_TOKEN)",
        "Training");
    ps.value_name = "HOST:PORT";
    auto& device = add_argument(
        u, "device", ArgKind::kString,
        "cpu or cuda:N for training, encoding and decoding (a LibTorch with CUDA)", "Training");
    device.default_value = "cpu";
    add_argument(u, "train-subjects", ArgKind::kStringList,
                 "participants whose runs train the autoencoder; the others are decomposed and "
                 "scored (default: all, "
                 "for both)",
                 "Training")
        .value_name = "LABEL";
    auto& k = add_argument(u, "atoms", ArgKind::kInt,
                           "dictionary atoms K (raw signals and features)", "Dictionary learning");
    k.default_value = std::to_string(dict::kDefaultAtoms);
    k.min = 1;
    add_argument(
        u, "lambda", ArgKind::kFloat,
        "l1 weight of the sparse codes (default 3/sqrt(T), raw signals and features alike)",
        "Dictionary learning")
        .min = 0;
    auto& passes = add_argument(u, "dl-passes", ArgKind::kFloat, "passes over the data",
                                "Dictionary learning");
    passes.default_value = "1";
    passes.min = 0;
    auto& readout = add_argument(
        u, "decoder-readout", ArgKind::kChoice,
        "how feature atoms are brought to time through the decoder (see dcae-dictlearn)",
        "Dictionary learning");
    readout.choices = {"upsampling", "ablation"};
    readout.default_value = "upsampling";
    u.mutually_exclusive = {{"ps", "train-steps"}};
    u.examples = {
        "dcae-bids-app /data/bids /data/derivatives/dcae participant --participant-label 01 02",
        "dcae-bids-app /data/bids /data/derivatives/dcae group --workers 2"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    args_ = &a;
    bids_ = fs::absolute(a.string("bids_dir")).lexically_normal();
    out_ = fs::absolute(a.string("output_dir")).lexically_normal();
    work_ =
        a.has("work-dir") ? fs::absolute(a.string("work-dir")).lexically_normal() : out_ / "work";
    const bool in_derivatives = is_in_derivatives(out_, bids_);
    if (is_within(out_, bids_) && !in_derivatives)
      throw usage_error("output_dir " + out_.string() + " is inside the input dataset " +
                        bids_.string() + "; choose a folder outside it or " +
                        (bids_ / "derivatives" / "<name>").string());
    if (is_within(work_, bids_) && !is_within(work_, out_))
      throw usage_error("--work-dir " + work_.string() + " is inside the input dataset " +
                        bids_.string());
    spaces_ = output_spaces();
    if (a.has("mem")) mem_mb_ = parse_memory_mb(a.string("mem"));

    const io::BidsLayout layout = io::BidsLayout::open(bids_);
    const std::vector<io::BoldRun> runs = select_runs(layout);

    if (a.flag("clean-workdir") && fs::exists(work_)) {
      log::info("removing the work dir ", work_.string());
      fs::remove_all(work_);
    }
    fs::create_directories(out_ / "logs");
    fs::create_directories(work_);
    const std::string level = a.string("analysis_level");
    job_ = "dcae-" + level + "-" + job_id();
    log_ = out_ / "logs" / (job_ + ".log");
    nlohmann::json config = {{"Command", "dcae-bids-app"},
                             {"Version", kVersion},
                             {"Arguments", a.to_json()},
                             {"BidsDir", bids_.string()},
                             {"WorkDir", work_.string()}};
    io::write_json(out_ / "logs" / (job_ + "_config.json"), config);
    write_dataset_description();
    write_citation();

    if (level == "participant" && a.has("participant-output"))
      throw usage_error("--participant-output is for the group level");
    if (level == "participant")
      participant(runs);
    else
      group(runs);
    return finish();
  }

private:
  std::vector<io::BoldRun> select_runs(const io::BidsLayout& layout) const {
    io::RunFilter f;
    const auto subjects = layout.subjects();
    if (args_->has("participant-label"))
      for (const auto& p : args_->strings("participant-label")) {
        const std::string label = io::strip_prefix(p, "sub-");
        if (std::find(subjects.begin(), subjects.end(), label) == subjects.end())
          throw usage_error("--participant-label: no participant '" + label + "' in " +
                            bids_.string() + " (participants: " + join(subjects, ", ") + ")");
        f.participants.push_back(label);
      }
    if (args_->has("session-label"))
      for (const auto& s : args_->strings("session-label"))
        f.sessions.push_back(io::strip_prefix(s, "ses-"));
    std::vector<std::string> with_events;
    for (const auto& r : layout.runs())
      if (r.events &&
          std::find(with_events.begin(), with_events.end(), r.task) == with_events.end())
        with_events.push_back(r.task);
    if (args_->has("task")) {
      const auto all = layout.tasks();
      for (const auto& t : args_->strings("task")) {
        const std::string label = io::strip_prefix(t, "task-");
        if (std::find(all.begin(), all.end(), label) == all.end())
          throw usage_error("--task: no task '" + label + "' in " + bids_.string() +
                            " (tasks: " + join(all, ", ") + ")");
        f.tasks.push_back(label);
      }
    } else {
      f.tasks = with_events;
      if (f.tasks.empty())
        throw input_error(bids_.string() +
                          ": no task run has an events.tsv (give --task to choose one)");
    }
    auto runs = layout.select(f);
    if (runs.empty()) throw input_error(bids_.string() + ": no BOLD run matches the selection");
    return runs;
  }

  std::vector<std::string> common_args() const {
    std::vector<std::string> c;
    if (args_->nthreads > 0)
      c.insert(c.end(), {"--nthreads", std::to_string(args_->nthreads)}); // --nprocs
    if (args_->verbosity > 0) c.emplace_back("-v");
    if (args_->quiet) c.emplace_back("-q");
    return c;
  }

  /// A stage that failed: recorded in logs/errors/<key>.json (for the reports) and summarised
  /// when the job ends.
  struct Failure {
    std::string key, what, error, subject;
    int status = 0;
  };

  /// Runs one stage (a sibling executable). Returns whether it succeeded; a failure is
  /// recorded under `key` and the job goes on with what does not depend on it. A success
  /// removes the record an earlier job left under the same key.
  bool try_step(std::vector<std::string> argv, const std::string& what, const std::string& key,
                const std::string& subject = {}) {
    argv[0] = (executable_dir() / argv[0]).string();
    for (const auto& c : common_args()) argv.push_back(c);
    ++step_;
    log::info("[", step_, "] ", what);
    std::string last;
    const int rc = run_process(argv, log_, &last);
    if (const auto tag = last.find(": [error] "); tag != std::string::npos)
      last.erase(tag + 1, 8); // "dcae-preproc: [error] x.nii: ..." → "dcae-preproc: x.nii: ..."
    if (rc == 0) {
      std::error_code ec;
      fs::remove(out_ / "logs" / "errors" / (key + ".json"), ec);
      return true;
    }
    log::error(what, " failed (exit status ", rc, "): ", last.empty() ? "no message" : last);
    record_failure({key, what, last.empty() ? "no message" : last, subject, rc},
                   quote_command(argv));
    return false;
  }

  void record_failure(Failure f, const std::string& command) {
    const fs::path record = out_ / "logs" / "errors" / (f.key + ".json");
    fs::create_directories(record.parent_path());
    io::write_json(record, {{"Step", f.what},
                            {"Participant", f.subject},
                            {"Command", command},
                            {"ExitStatus", f.status},
                            {"Error", f.error},
                            {"Log", log_.string()},
                            {"Job", job_},
                            {"Time", utc_time()}});
    failures_.push_back(std::move(f));
  }

  /// A stage everything after it depends on: its failure ends the job.
  void step(std::vector<std::string> argv, const std::string& what, const std::string& key) {
    if (!try_step(argv, what, key))
      throw Error(what + " failed: " + failures_.back().error + " (log: " + log_.string() + ")",
                  failures_.back().status == 1 ? ExitCode::kBadInput : ExitCode::kRuntime);
  }

  /// The exit status: 0 when every stage succeeded; else a summary of what failed and why,
  /// and 1 when every failure was bad input (exit status 1), 3 otherwise.
  int finish() const {
    if (failures_.empty()) return 0;
    std::cerr << "dcae-bids-app: " << failures_.size() << " of " << step_
              << " steps failed (the others completed; details in " << log_.string() << "):\n";
    bool all_input = true;
    for (const auto& f : failures_) {
      std::cerr << "  " << f.what << ": " << f.error << '\n';
      all_input = all_input && f.status == 1;
    }
    return static_cast<int>(all_input ? ExitCode::kBadInput : ExitCode::kRuntime);
  }

  /// A space the runs are preprocessed into: "native", or a template label with its image.
  struct Space {
    std::string label;
    fs::path image;
    bool native() const { return image.empty(); }
  };

  std::vector<Space> output_spaces() const {
    std::vector<Space> spaces;
    for (const auto& label : args_->strings("output-spaces")) {
      if (std::any_of(spaces.begin(), spaces.end(),
                      [&](const Space& s) { return s.label == label; }))
        continue;
      if (label == "native") {
        spaces.push_back({label, {}});
        continue;
      }
      if (label.empty() || !std::all_of(label.begin(), label.end(),
                                        [](unsigned char c) { return std::isalnum(c) != 0; }))
        throw usage_error("--output-spaces: '" + label +
                          "' is not native or a template label (letters and digits, e.g. "
                          "MNI152NLin6Asym)");
      if (std::count_if(spaces.begin(), spaces.end(), [](const Space& s) { return !s.native(); }))
        throw usage_error("--output-spaces: one template space at a time (got a second, '" + label +
                          "')");
      fs::path image;
      if (args_->has("template")) {
        image = fs::absolute(args_->string("template"));
      } else {
        const char* tf = std::getenv("TEMPLATEFLOW_HOME");
        const char* home = std::getenv("HOME");
        const fs::path root =
            tf ? fs::path(tf) : fs::path(home ? home : "/tmp") / ".cache" / "templateflow";
        image = root / ("tpl-" + label) / ("tpl-" + label + "_res-02_desc-brain_T1w.nii.gz");
        if (!fs::exists(image))
          throw usage_error("--output-spaces " + label + ": no template image " + image.string() +
                            " (give it with --template, or fetch it with "
                            "TemplateFlow into $TEMPLATEFLOW_HOME)");
      }
      spaces.push_back({label, image});
    }
    if (args_->has("template") &&
        std::none_of(spaces.begin(), spaces.end(), [](const Space& s) { return !s.native(); }))
      throw usage_error("--template is given but --output-spaces names no template space");
    return spaces;
  }

  /// The space of the group analysis: the template's when there is one (participants are
  /// then comparable voxel by voxel), else native.
  const Space& analysis_space() const {
    for (const auto& s : spaces_)
      if (!s.native()) return s;
    return spaces_.front();
  }

  /// The run's name with its space, as dcae-preproc names shards.
  std::string run_in_space(const io::BoldRun& r) const {
    const Space& s = analysis_space();
    return io::run_name(r.entities) + (s.native() ? "" : "_space-" + s.label);
  }

  void write_dataset_description() const {
    io::write_derivative_description(out_, bids_);
    // What in the derivatives the BIDS specification has no name for (as fMRIPrep does):
    // dcae's folders and reports, and the decompositions' own files.
    write_file_atomic(out_ / ".bidsignore", "logs/\nwork/\nmodel/\nshards/\nfeatures/\n*.html\n"
                                            "*_decomposition.json\n*_mixing.tsv\n*_mixing.json\n"
                                            "*_components.nii.gz\n*_components.json\n");
  }

  /// The methods boilerplate with this job's parameters (logs/CITATION.md and .bib).
  void write_citation() const {
    MethodsParameters m;
    m.version = kVersion;
    m.fwhm_mm = args_->number("fwhm");
    m.highpass_s = args_->number("highpass");
    m.slice_timing = !args_->flag("no-slice-timing");
    m.motion_regressors = args_->string("motion-regressors");
    m.tissue_regressors = args_->flag("tissue-regressors");
    if (!analysis_space().native()) m.template_space = analysis_space().label;
    m.atoms = args_->integer("atoms");
    if (args_->has("lambda")) m.lambda = format_number(args_->number("lambda"));
    m.workers = args_->integer("workers");
    m.held_out = args_->has("train-subjects");
    write_file_atomic(out_ / "logs" / "CITATION.md", methods_markdown(m));
    write_file_atomic(out_ / "logs" / "CITATION.bib", citation_bibtex());
  }

  void participant(const std::vector<io::BoldRun>& runs) {
    if (!args_->flag("skip-bids-validation")) validate_dataset(bids_, log_);
    std::vector<std::string> subjects;
    for (const auto& r : runs) {
      if (std::find(subjects.begin(), subjects.end(), r.subject) == subjects.end())
        subjects.push_back(r.subject);
      for (const Space& space : spaces_) {
        std::vector<std::string> argv = {"dcae-preproc",
                                         r.bold.string(),
                                         out_.string(),
                                         "--fwhm",
                                         format_number(args_->number("fwhm")),
                                         "--highpass",
                                         format_number(args_->number("highpass")),
                                         "--motion-regressors",
                                         args_->string("motion-regressors")};
        if (args_->flag("no-slice-timing")) argv.emplace_back("--no-slice-timing");
        if (args_->flag("tissue-regressors")) argv.emplace_back("--tissue-regressors");
        if (!space.native())
          argv.insert(argv.end(),
                      {"--template", space.image.string(), "--template-space", space.label});
        if (args_->flag("clean-workdir")) argv.emplace_back("--force");
        const std::string run = io::run_name(r.entities);
        try_step(argv,
                 "preprocessing " + r.bold.filename().string() +
                     (space.native() ? "" : " into " + space.label),
                 "preproc_" + run + (space.native() ? "" : "_space-" + space.label), r.subject);
      }
    }
    for (const auto& s : subjects)
      if (try_step(
              {"dcae-report", out_.string(), "--level", "participant", "--participant-label", s},
              "report of sub-" + s, "report_sub-" + s, s))
        std::cout << "report: " << (out_ / ("sub-" + s + ".html")).string() << '\n';
  }

  /// Participants whose runs train the model, and those whose runs are decomposed and scored:
  /// all of them for both unless --train-subjects holds some out.
  struct Split {
    std::vector<std::string> train, evaluate;
    bool held_out = false;
  };

  Split split_subjects(const std::vector<io::BoldRun>& runs) const {
    Split s;
    std::vector<std::string> all;
    for (const auto& r : runs)
      if (std::find(all.begin(), all.end(), r.subject) == all.end()) all.push_back(r.subject);
    if (!args_->has("train-subjects")) {
      s.train = s.evaluate = all;
      return s;
    }
    for (const auto& p : args_->strings("train-subjects")) {
      const std::string label = io::strip_prefix(p, "sub-");
      if (std::find(all.begin(), all.end(), label) == all.end())
        throw usage_error("--train-subjects: no selected participant '" + label +
                          "' (selected: " + join(all, ", ") + ")");
      if (std::find(s.train.begin(), s.train.end(), label) == s.train.end())
        s.train.push_back(label);
    }
    for (const auto& a : all)
      if (std::find(s.train.begin(), s.train.end(), a) == s.train.end()) s.evaluate.push_back(a);
    if (s.evaluate.empty())
      throw usage_error("--train-subjects names every selected participant: none is left to "
                        "evaluate on (omit it to "
                        "train and evaluate on all)");
    s.held_out = true;
    return s;
  }

  fs::path shard_of(const io::BoldRun& r) const {
    return io::shard_path(out_ / "shards", run_in_space(r), "preproc");
  }

  /// --participant-output: the participant level's files into output_dir (hard links where
  /// the file system allows, else copies; files already there are kept).
  void import_participant_output() const {
    const fs::path from = fs::absolute(args_->string("participant-output")).lexically_normal();
    if (fs::equivalent(from, out_)) return;
    log::info("taking the participant level's outputs from ", from.string());
    for (const auto& e : fs::recursive_directory_iterator(from)) {
      const fs::path rel = e.path().lexically_relative(from);
      const std::string top = rel.begin()->string();
      if (top == "logs" || top == "work" || top == "dataset_description.json") continue;
      const fs::path to = out_ / rel;
      if (e.is_directory()) {
        fs::create_directories(to);
      } else if (e.is_regular_file() && !fs::exists(to)) {
        fs::create_directories(to.parent_path());
        std::error_code ec;
        fs::create_hard_link(e.path(), to, ec);
        if (ec) fs::copy_file(e.path(), to);
      }
    }
  }

  void group(const std::vector<io::BoldRun>& selected) {
    if (args_->has("participant-output")) import_participant_output();
    // Runs whose participant level failed (or never ran) are left out, and said so.
    std::vector<io::BoldRun> runs;
    for (const auto& r : selected) {
      if (fs::exists(shard_of(r))) {
        runs.push_back(r);
        std::error_code ec;
        fs::remove(out_ / "logs" / "errors" / ("group_" + run_in_space(r) + ".json"), ec);
        continue;
      }
      const std::string what = "the group analysis of " + r.bold.filename().string();
      const std::string error = shard_of(r).string() +
                                ": missing (the participant level failed for it or was not run "
                                "for sub-" +
                                r.subject + "); the run is left out";
      log::error(error);
      record_failure({"group_" + run_in_space(r), what, error, r.subject, 1}, "");
    }
    if (runs.empty())
      throw input_error(out_.string() + ": no selected run has a preprocessed shard in " +
                        (out_ / "shards").string() + "; run the participant level first");
    const Split split = split_subjects(runs);
    auto in = [](const std::vector<std::string>& v, const std::string& x) {
      return std::find(v.begin(), v.end(), x) != v.end();
    };
    std::vector<std::string> train_shards, eval_shards;
    std::map<std::string, std::vector<const io::BoldRun*>> by_task; // evaluation runs
    for (const auto& r : runs) {
      if (in(split.train, r.subject)) train_shards.push_back(shard_of(r).string());
      if (in(split.evaluate, r.subject)) {
        eval_shards.push_back(shard_of(r).string());
        by_task[r.task].push_back(&r);
      }
    }
    log::info(split.held_out ? "training on participants " + join(split.train, ", ") +
                                   "; evaluating on the held-out " + join(split.evaluate, ", ")
                             : "training and evaluating on every participant (" +
                                   join(split.train, ", ") + "; --train-subjects holds some out)");
    // One model for every selected run (all tasks): the autoencoder learns the signal, not the
    // task.
    const fs::path model = out_ / "model";
    std::vector<std::string> train;
    if (args_->has("ps")) { // servers started by hand: train as one of their workers
      if (args_->integer("workers") > 0)
        throw usage_error("--ps and --workers: give one (servers by hand, or launched here)");
      if (args_->has("epochs"))
        log::warn("with --ps the job's length is the model YAML's train.epochs (--model-config), "
                  "not --epochs");
      train = {"dcae-worker", "--output-dir", model.string(), "--ps"};
      for (const auto& a : args_->strings("ps")) train.push_back(a);
    } else {
      train = {"dcae-train", "-o", model.string()};
      if (args_->integer("workers") >
          0) { // Downpour SGD: stops on epochs (or the YAML's target loss)
        train.insert(train.end(), {"--workers", std::to_string(args_->integer("workers")),
                                   "--launcher", args_->string("launcher")});
        if (args_->has("train-steps"))
          log::warn("--train-steps applies to one-process training; distributed training stops "
                    "after --epochs");
      } else {
        train.emplace_back("--resume");
        if (args_->has("train-steps"))
          train.insert(train.end(), {"--max-steps", std::to_string(args_->integer("train-steps"))});
      }
      if (args_->has("epochs"))
        train.insert(train.end(), {"--epochs", std::to_string(args_->integer("epochs"))});
    }
    if (args_->has("model-config")) {
      train.insert(train.end(), {"--model-config", args_->string("model-config")});
      if (mem_mb_ > 0)
        log::warn("--mem is not applied over --model-config: set train.cache_mb there");
    } else if (mem_mb_ > 0) {
      // Half of --mem for the cache of shard rows; the rest is the model, batches and buffers.
      const fs::path yaml = work_ / "model-mem.yaml";
      write_file_atomic(yaml, "train:\n  cache_mb: " + std::to_string(std::max(16LL, mem_mb_ / 2)) +
                                  "\n");
      log::info("--mem ", mem_mb_, " MB: training caches up to ", std::max(16LL, mem_mb_ / 2),
                " MB of shard rows (", yaml.string(), ")");
      train.insert(train.end(), {"--model-config", yaml.string()});
    }
    train.insert(train.end(), {"--device", args_->string("device")});
    train.insert(train.end(), train_shards.begin(), train_shards.end());
    step(train, "training the autoencoder on " + std::to_string(train_shards.size()) + " runs",
         "train");
    io::write_json(
        model / "split.json",
        {{"TrainSubjects", split.train},
         {"EvaluationSubjects", split.evaluate},
         {"HeldOut", split.held_out},
         {"Description",
          split.held_out ? "the model was trained on TrainSubjects; decompositions and scores are "
                           "of the held-out EvaluationSubjects"
                         : "the model was trained and evaluated on the same participants"}});
    const fs::path features = work_ / "features";
    std::vector<std::string> encode = {
        "dcae-encode",     "-m",       (model / "model.pt").string(), "-o",
        features.string(), "--device", args_->string("device")};
    encode.insert(encode.end(), eval_shards.begin(), eval_shards.end());
    step(encode, "encoding every voxel of " + std::to_string(eval_shards.size()) + " runs",
         "encode");

    for (const auto& [task, task_runs] : by_task) {
      std::vector<std::string> raw, feat, events;
      for (const auto* r : task_runs) {
        if (!r->events)
          throw input_error(r->bold.string() + ": no events.tsv, so its atoms cannot be scored");
        raw.push_back(shard_of(*r).string());
        feat.push_back(io::shard_path(features, run_in_space(*r), "features").string());
        events.push_back(r->events->string());
      }
      std::vector<std::string> dl = {"--atoms",  std::to_string(args_->integer("atoms")),
                                     "--passes", format_number(args_->number("dl-passes")),
                                     "--prefix", "task-" + task,
                                     "-o",       out_.string(),
                                     "--events"};
      dl.insert(dl.end(), events.begin(), events.end());
      if (args_->has("lambda"))
        dl.insert(dl.end(), {"--lambda", format_number(args_->number("lambda"))});
      std::vector<std::string> a = {"dcae-dictlearn"};
      a.insert(a.end(), raw.begin(), raw.end());
      a.insert(a.end(), {"--label", "rawodl"});
      a.insert(a.end(), dl.begin(), dl.end());
      try_step(a, "dictionary learning on the raw signals of task " + task,
               "dictlearn_task-" + task + "_rawodl");
      std::vector<std::string> b = {"dcae-dictlearn"};
      b.insert(b.end(), feat.begin(), feat.end());
      b.insert(b.end(), {"--label", "dcaeodl", "--checkpoint", (model / "model.pt").string(),
                         "--device", args_->string("device"), "--decoder-readout",
                         args_->string("decoder-readout"), "--signals"});
      b.insert(b.end(), raw.begin(), raw.end());
      b.insert(b.end(), dl.begin(), dl.end());
      try_step(b, "dictionary learning on the DCAE features of task " + task,
               "dictlearn_task-" + task + "_dcaeodl");
    }
    if (try_step({"dcae-report", out_.string(), "--level", "all"}, "reports", "report_group"))
      std::cout << "report: " << (out_ / "group.html").string() << '\n';
  }

  const ParsedArgs* args_ = nullptr;
  fs::path bids_, out_, work_, log_;
  std::string job_;
  std::vector<Space> spaces_;
  std::vector<Failure> failures_;
  long long mem_mb_ = 0;
  int step_ = 0;
};

} // namespace

std::unique_ptr<Command> make_bids_app_command() {
  return std::make_unique<BidsAppCommand>();
}

} // namespace dcae::app
