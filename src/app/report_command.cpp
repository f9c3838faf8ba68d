#include <chrono>

#include "app/commands.h"
#include "core/log.h"
#include "report/report.h"

namespace dcae::app {
namespace {

class ReportCommand final : public Command {
public:
  Usage usage() const override {
    Usage u;
    u.name = "dcae-report";
    u.summary = "write the HTML reports (per participant and group) of a dcae derivatives folder";
    u.description =
        "Reads a derivatives folder written by dcae-preproc, dcae-train and dcae-dictlearn and\n"
        "writes self-contained HTML pages (inline SVG plots and PNG mosaics; no scripts, nothing\n"
        "fetched from the network): sub-<label>.html per participant (summary table, motion\n"
        "traces and framewise displacement, brain mask over the mean image, the participant's\n"
        "decompositions) and group.html (participants, training loss curve, the score table\n"
        "raw-signal DL vs DCAE-feature DL, temporal atoms against the HRF-convolved design,\n"
        "spatial maps of the best atoms). A missing input leaves a note in its place.";
    Argument& in =
        add_argument(u, "derivatives_dir", ArgKind::kInputDir, "the dcae derivatives folder");
    in.positional = true;
    in.required = true;
    add_argument(u, "output-dir", ArgKind::kOutputDir,
                 "where to write the pages (default: derivatives_dir)")
        .value_name = "DIR";
    auto& level = add_argument(u, "level", ArgKind::kChoice, "which pages to write");
    level.choices = {"participant", "group", "all"};
    level.default_value = "all";
    auto& part = add_argument(u, "participant-label", ArgKind::kStringList,
                              "participants to report (\"01\" or \"sub-01\"; default: all)");
    part.aliases = {"participant_label"};
    part.value_name = "LABEL";
    add_argument(u, "loss", ArgKind::kInputFile,
                 "training loss log (default: <derivatives_dir>/model/loss.tsv)")
        .value_name = "TSV";
    add_argument(u, "ground-truth", ArgKind::kInputDir,
                 "dcae-simulate's ground truth, to compare the maps and time courses with the "
                 "planted networks "
                 "(default: <raw dataset>/derivatives/groundtruth when the derivatives name their "
                 "raw dataset)");
    auto& ms = add_argument(u, "mask-slices", ArgKind::kInt, "axial slices in a brain-mask mosaic",
                            "Figures");
    ms.default_value = "12";
    ms.min = 1;
    ms.max = 64;
    auto& as = add_argument(u, "map-slices", ArgKind::kInt, "axial slices in a spatial-map mosaic",
                            "Figures");
    as.default_value = "8";
    as.min = 1;
    as.max = 64;
    auto& th =
        add_argument(u, "map-threshold", ArgKind::kFloat,
                     "spatial maps show |value| >= this fraction of the map's peak", "Figures");
    th.default_value = "0.25";
    th.min = 0;
    th.max = 1;
    u.examples = {"dcae-report /out/dcae",
                  "dcae-report --level participant --participant-label 01 02 /out/dcae",
                  "dcae-report --loss /work/model/loss.tsv --output-dir /tmp/report /out/dcae"};
    return u;
  }

  int run(const ParsedArgs& a) override {
    report::ReportOptions o;
    o.derivatives_dir = a.string("derivatives_dir");
    if (a.has("output-dir")) o.output_dir = a.string("output-dir");
    if (a.has("loss")) o.loss_log = a.string("loss");
    if (a.has("ground-truth")) o.ground_truth = a.string("ground-truth");
    if (a.has("participant-label")) o.participants = a.strings("participant-label");
    const std::string level = a.string("level");
    o.participant_pages = level != "group";
    o.group_page = level != "participant";
    o.mask_slices = static_cast<int>(a.integer("mask-slices"));
    o.map_slices = static_cast<int>(a.integer("map-slices"));
    o.map_threshold = a.number("map-threshold");
    const auto start = std::chrono::steady_clock::now();
    const auto pages = report::write_reports(o);
    log::info(pages.size(), " page(s) in ",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              " s");
    return 0;
  }
};

} // namespace

std::unique_ptr<Command> make_report_command() {
  return std::make_unique<ReportCommand>();
}

} // namespace dcae::app
