#include <cmath>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>

#include "app/commands.h"
#include "core/atomic_file.h"
#include "io/motion_params.h"
#include "io/nifti.h"
#include "report/report.h"
#include "report/svg.h"
#include "report_test_util.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::report {
namespace {

using test_util::write_text;

constexpr std::int64_t kNx = 8, kNy = 8, kNz = 6, kT = 10;

io::Image image(std::int64_t nt) {
  io::ImageHeader h;
  h.dim = {kNx, kNy, kNz, nt};
  h.spacing_mm = {3, 3, 3};
  h.tr_s = nt > 1 ? 2.0 : 0.0;
  return io::Image(h);
}

std::string tsv_number(double v) {
  std::ostringstream s;
  s.precision(8);
  s << v;
  return s.str();
}

/// A small derivatives folder: sub-01 with a full run, sub-02 with confounds only, a group
/// decomposition pair (raw and features), a sub-01 decomposition without spatial maps, a loss
/// log. Returns the mean FD of sub-01's run.
double make_derivatives(const fs::path& root) {
  const fs::path func = root / "sub-01" / "func";
  io::Image bold = image(kT);
  io::Image mask = image(1);
  for (std::int64_t k = 0; k < kNz; ++k) {
    for (std::int64_t j = 0; j < kNy; ++j) {
      for (std::int64_t i = 0; i < kNx; ++i) {
        const bool in = i >= 2 && i <= 5 && j >= 2 && j <= 5 && k >= 1 && k <= 4;
        mask.at(i, j, k) = in ? 1.0f : 0.0f;
        for (std::int64_t t = 0; t < kT; ++t)
          bold.at(i, j, k, t) = in ? static_cast<float>(100 + i + t) : 5.0f;
      }
    }
  }
  fs::create_directories(func);
  bold.write(func / "sub-01_task-motor_run-01_desc-preproc_bold.nii.gz");
  mask.write(func / "sub-01_task-motor_run-01_desc-brain_mask.nii.gz", {io::StoredType::kUInt8, 1});

  std::vector<io::MotionParams> motion(kT);
  for (std::int64_t t = 0; t < kT; ++t) {
    for (std::size_t a = 0; a < 6; ++a)
      motion[static_cast<std::size_t>(t)][a] =
          0.1 * std::sin(0.7 * static_cast<double>(t) + static_cast<double>(a));
  }
  const auto fd = io::framewise_displacement(motion);
  std::string tsv =
      "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement\tdvars\n";
  double fd_sum = 0;
  for (std::size_t t = 0; t < motion.size(); ++t) {
    for (double v : motion[t]) tsv += tsv_number(v) + "\t";
    tsv += (t ? tsv_number(fd[t]) : "n/a") + "\t" + (t ? "1.5" : "n/a") + "\n";
    if (t) fd_sum += std::stod(tsv_number(fd[t]));
  }
  write_text(func / "sub-01_task-motor_run-01_desc-confounds_timeseries.tsv", tsv);
  write_text(root / "sub-02" / "func" / "sub-02_task-motor_desc-confounds_timeseries.tsv",
             "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement\n"
             "0\t0\t0\t0\t0\t0\tn/a\n0.2\t0\t0\t0\t0\t0\t0.2\n0.2\t0\t0\t0\t0\t0\t0\n");

  // Decompositions as the BIDS-App writes them: one JSON per method at the top, each run's
  // temporal atoms and maps in its folder; a design of two conditions the atoms follow.
  std::string design = R"("Design": {"Conditions": ["lf", "rh"], "Regressors": [[)";
  std::string mixing_raw = "rawodl_000\trawodl_001\trawodl_002\n",
              mixing_dcae = "dcaeodl_000\tdcaeodl_001\tdcaeodl_002\n";
  std::vector<double> lf(kT), rh(kT);
  for (std::int64_t t = 0; t < kT; ++t) {
    lf[static_cast<std::size_t>(t)] = (t / 2) % 2;
    rh[static_cast<std::size_t>(t)] = 1 - (t / 2) % 2;
  }
  for (std::int64_t t = 0; t < kT; ++t)
    design += (t ? ", " : "") + tsv_number(lf[static_cast<std::size_t>(t)]);
  design += "], [";
  for (std::int64_t t = 0; t < kT; ++t)
    design += (t ? ", " : "") + tsv_number(rh[static_cast<std::size_t>(t)]);
  design += "]]}";
  for (std::int64_t t = 0; t < kT; ++t) {
    const auto u = static_cast<std::size_t>(t);
    mixing_raw +=
        tsv_number(0.3) + "\t" + tsv_number(lf[u] + 0.1 * t) + "\t" + tsv_number(-rh[u]) + "\n";
    mixing_dcae +=
        tsv_number(lf[u]) + "\t" + tsv_number(rh[u]) + "\t" + tsv_number(0.01 * t) + "\n";
  }
  const std::string run = R"("Name": "sub-01_task-motor_run-01", )";
  write_text(
      root / "task-motor_desc-rawodl_decomposition.json",
      R"({"Method": "OnlineDictionaryLearning", "Label": "rawodl", "K": 3, "Lambda": 0.1, "Source": "raw", "TR": 2.0,
          "Scores": [{"Condition": "lf", "Atom": 1, "Column": "rawodl_001", "MedianR": 0.812, "MinR": 0.812, "NullR95": 0.5, "Runs": 1, "RunsAboveNull": 1},
                     {"Condition": "rh", "Atom": 2, "Column": "rawodl_002", "MedianR": -0.705, "MinR": -0.705, "NullR95": 0.6, "Runs": 1, "RunsAboveNull": 0}],
          "Runs": [{)" +
          run +
          R"("Mixing": "sub-01/func/sub-01_task-motor_run-01_desc-rawodl_mixing.tsv",
                    "Components": "sub-01/func/sub-01_task-motor_run-01_desc-rawodl_components.nii.gz", )" +
          design +
          R"(, "Scores": [{"Condition": "lf", "Atom": 1, "r": 0.812, "NullR95": 0.5},
                         {"Condition": "rh", "Atom": 2, "r": -0.705, "NullR95": 0.6}]}]})");
  write_text(func / "sub-01_task-motor_run-01_desc-rawodl_mixing.tsv", mixing_raw);
  // The feature decomposition, its atoms also through the decoder.
  write_text(
      root / "task-motor_desc-dcaeodl_decomposition.json",
      R"({"Method": "OnlineDictionaryLearning", "Label": "dcaeodl", "K": 3, "Lambda": 0.1, "Source": "features", "TR": 2.0,
          "DecoderReadout": "upsampling",
          "Scores": [{"Condition": "lf", "Atom": 0, "Column": "dcaeodl_000", "MedianR": 0.934, "MinR": 0.934, "NullR95": 0.5, "Runs": 1, "RunsAboveNull": 1},
                     {"Condition": "rh", "Atom": 1, "Column": "dcaeodl_001", "MedianR": 0.901, "MinR": 0.901, "NullR95": 0.6, "Runs": 1, "RunsAboveNull": 1}],
          "DecoderScores": [{"Condition": "lf", "Atom": 2, "Column": "dcaeodldecoder_002", "MedianR": 0.95, "MinR": 0.95, "NullR95": 0.5, "Runs": 1, "RunsAboveNull": 1},
                            {"Condition": "rh", "Atom": 1, "Column": "dcaeodldecoder_001", "MedianR": 0.4, "MinR": 0.4, "NullR95": 0.6, "Runs": 1, "RunsAboveNull": 0}],
          "Runs": [{)" +
          run +
          R"("Mixing": "sub-01/func/sub-01_task-motor_run-01_desc-dcaeodl_mixing.tsv",
                    "DecoderMixing": "sub-01/func/sub-01_task-motor_run-01_desc-dcaeodldecoder_mixing.tsv",
                    "Components": "sub-01/func/sub-01_task-motor_run-01_desc-dcaeodl_components.nii.gz", )" +
          design +
          R"(, "Scores": [{"Condition": "lf", "Atom": 0, "r": 0.934, "NullR95": 0.5},
                         {"Condition": "rh", "Atom": 1, "r": 0.901, "NullR95": 0.6}],
             "DecoderScores": [{"Condition": "lf", "Atom": 2, "r": 0.95, "NullR95": 0.5},
                               {"Condition": "rh", "Atom": 1, "r": 0.4, "NullR95": 0.6}]}]})");
  write_text(func / "sub-01_task-motor_run-01_desc-dcaeodl_mixing.tsv", mixing_dcae);
  std::string decoder_mixing = mixing_dcae;
  decoder_mixing.replace(0, decoder_mixing.find('\n'),
                         "dcaeodldecoder_000\tdcaeodldecoder_001\tdcaeodldecoder_002");
  write_text(func / "sub-01_task-motor_run-01_desc-dcaeodldecoder_mixing.tsv", decoder_mixing);
  io::Image comp = image(3);
  for (std::int64_t a = 0; a < 3; ++a) {
    comp.at(3, 3, 2, a) = 2.0f + static_cast<float>(a);
    comp.at(4, 4, 3, a) = -1.0f;
  }
  comp.write(func / "sub-01_task-motor_run-01_desc-rawodl_components.nii.gz");
  comp.write(func / "sub-01_task-motor_run-01_desc-dcaeodl_components.nii.gz");
  write_text(
      root / "model" / "loss.tsv",
      "step\tepoch\tloss\tmse\n1\t0\t2\t1.9\n2\t0\t1\t0.9\n3\t1\t0.5\t0.4\n4\t1\t0.25\t0.2\n");
  write_text(root / "model" / "validation.tsv",
             "epoch\tstep\ttrain_loss\tvalidation_loss\tvalidation_mse\n0\t2\t1.5\t1.2\t1."
             "1\n1\t4\t0.375\t0.5\t0.45\n");
  write_text(root / "model" / "training.json", R"({"StopReason": "plateau", "Epochs": 2})");
  return fd_sum / static_cast<double>(kT - 1);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

void expect_self_contained(const std::string& html, const std::string& name) {
  for (const char* banned :
       {"<script", "http:", "https:", "://", "@import", "<link", "<iframe", "<object"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << name << " has " << banned;
  }
}

// Parses each page as XML; checks every embedded PNG decodes to its declared size.
const char* kPageCheck = R"(import sys, base64, struct, zlib, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    root = ET.parse(f).getroot()
    for img in root.iter('img'):
        src = img.get('src')
        assert src.startswith('data:image/png;base64,'), src[:40]
        png = base64.b64decode(src.split(',', 1)[1])
        assert png[:8] == b'\x89PNG\r\n\x1a\n'
        w, h = struct.unpack('>II', png[16:24])
        assert (w, h) == (int(img.get('width')), int(img.get('height'))), (w, h)
        n = struct.unpack('>I', png[33:37])[0]
        assert png[37:41] == b'IDAT'
        assert len(zlib.decompress(png[41:41 + n])) == h * (3 * w + 1)
)";

TEST(ReportCommand, WritesParticipantAndGroupPagesWithTheRightNumbers) {
  test::TempDir dir;
  const double mean_fd = make_derivatives(dir / "deriv");
  // A step of sub-02 that failed, as dcae-bids-app records it.
  write_text(dir / "deriv" / "logs" / "errors" / "preproc_sub-02_task-motor.json",
             R"({"Step": "preprocessing sub-02_task-motor_bold.nii.gz", "Participant": "02",
                 "ExitStatus": 1, "Error": "dcae-preproc: x.nii.gz: truncated image data",
                 "Time": "20261207T040000Z", "Log": "/o/logs/dcae-participant-1.log"})");
  ASSERT_EQ(test::call(*app::make_report_command(), {(dir / "deriv").string(), "-q"}), 0);
  const std::string s1 = read_file(dir / "deriv" / "sub-01.html");
  const std::string s2 = read_file(dir / "deriv" / "sub-02.html");
  const std::string g = read_file(dir / "deriv" / "group.html");
  expect_self_contained(s1, "sub-01.html");
  expect_self_contained(s2, "sub-02.html");
  expect_self_contained(g, "group.html");

  // Summary table: volumes, TR, mean FD as computed here, mask voxels (4 × 4 × 4).
  const std::regex row(
      R"(<tr><td>sub-01_task-motor_run-01</td><td class="num">(\d+)</td><td class="num">([^<]*)</td>)"
      R"(<td class="num">([^<]*)</td><td class="num">([^<]*)</td><td class="num">(\d+)</td></tr>)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(s1, m, row)) << s1.substr(0, 3000);
  EXPECT_EQ(m[1], "10");
  EXPECT_EQ(m[2], "2");
  EXPECT_NEAR(std::stod(m[3]), mean_fd, 5e-4 * mean_fd);
  EXPECT_EQ(m[3], format_number(mean_fd, 4));
  EXPECT_EQ(m[5], "64");
  // Figures: 3 motion plots, DVARS (the confounds have no global_signal) + one atom plot per
  // condition of the run; the carpet plot, one mask mosaic and the maps of both
  // decompositions' assigned atoms (2 conditions each; the decoder's readout shares the
  // feature decomposition's maps).
  EXPECT_EQ(count(s1, "<svg "), 6u);
  EXPECT_EQ(count(s1, "<img "), 6u);
  EXPECT_NE(s1.find("alt=\"carpet plot of sub-01_task-motor_run-01\""), std::string::npos);
  EXPECT_NE(s1.find("64 brain voxels ordered by mean intensity"), std::string::npos);
  // Errors (fMRIPrep's section): sub-01 has none, sub-02 and the group list sub-02's.
  EXPECT_NE(s1.find("No errors to report."), std::string::npos);
  EXPECT_EQ(s1.find("truncated image data"), std::string::npos);
  EXPECT_NE(s2.find("dcae-preproc: x.nii.gz: truncated image data"), std::string::npos);
  EXPECT_NE(g.find("dcae-preproc: x.nii.gz: truncated image data"), std::string::npos);
  EXPECT_NE(g.find("id=\"about\""), std::string::npos);
  EXPECT_NE(s1.find("Report made "), std::string::npos);
  EXPECT_NE(s1.find("Decompositions of this participant&#39;s runs"), std::string::npos);
  EXPECT_NE(s1.find("in sub-01_task-motor_run-01: atom 1, r = 0.812"), std::string::npos);
  // sub-02: motion only; the mask figure and carpet plot are replaced by notes.
  EXPECT_EQ(count(s2, "<svg "), 3u);
  EXPECT_NE(s2.find("No carpet plot"), std::string::npos);
  EXPECT_EQ(count(s2, "<img "), 0u);
  EXPECT_NE(s2.find("Mask figure missing"), std::string::npos);
  EXPECT_NE(s2.find("<td class=\"num\">0.1</td>"), std::string::npos); // mean FD (0.2 + 0) / 2

  // Group: network discovery first; loss curve + one plot per condition of the run; a map per
  // decomposition and condition.
  EXPECT_LT(g.find("Network discovery"), g.find("Participants"));
  EXPECT_EQ(count(g, "<svg "), 3u);
  EXPECT_EQ(count(g, "<img "), 4u);
  EXPECT_NE(g.find("4 steps, 2 epoch(s)"), std::string::npos);
  EXPECT_NE(g.find("validation loss on held-out voxels 0.5"), std::string::npos);
  EXPECT_NE(g.find("stopped because the validation loss had stopped improving"), std::string::npos);
  EXPECT_NE(g.find("validation (held-out voxels)"), std::string::npos); // the plot's legend
  EXPECT_NE(
      g.find(
          "<th>rawodl atom</th><th>rawodl median r</th><th>rawodl min r</th><th>rawodl chance</th>"
          "<th>rawodl runs &gt; chance</th><th>dcaeodl atom</th>"),
      std::string::npos);
  const std::string num = "<td class=\"num\">";
  EXPECT_NE(g.find("<td>task-motor</td><td>lf</td>" + num + "1</td>" + num + "0.812</td>" + num +
                   "0.812</td>" + num + "0.5</td>" + num + "1/1</td>" + num + "0</td>" + num +
                   "0.934</td>"),
            std::string::npos);
  // The per-run table marks each r against the run's chance level.
  EXPECT_NE(g.find("<td>sub-01_task-motor_run-01</td><td>rh</td>" + num + "-0.705 ✗</td>" + num +
                   "0.6</td>" + num + "0.901 ✓</td>" + num + "0.6</td>" + num + "0.4 ✗</td>"),
            std::string::npos);
  // The decoder's readout does not beat chance for every condition: said so.
  EXPECT_NE(
      g.find(
          "dcaeodldecoder (task-motor): the decoder&#39;s readout does not beat its chance level"),
      std::string::npos);
  EXPECT_NE(g.find("<a href=\"sub-01.html\">"), std::string::npos);
  EXPECT_NE(
      g.find("rawodl: atom 2, r = -0.705 (NOT above its chance level 0.6) (shown sign-flipped)"),
      std::string::npos);

  if (test_util::have_python()) {
    const std::string pages = (dir / "deriv" / "sub-01.html").string() + " " +
                              (dir / "deriv" / "sub-02.html").string() + " " +
                              (dir / "deriv" / "group.html").string();
    EXPECT_EQ(test_util::run_python(dir.path(), kPageCheck, pages), 0);
  }
}

TEST(ReportCommand, ComparesWithThePlantedNetworksWhenTheGroundTruthIsThere) {
  test::TempDir dir;
  make_derivatives(dir / "deriv");
  // dcae-simulate's ground truth of the run: "lf" planted where the atoms peak, "rh" elsewhere.
  const fs::path gt = dir / "gt" / "sub-01" / "func";
  io::Image maps = image(2);
  for (std::int64_t k = 1; k <= 3; ++k)
    for (std::int64_t j = 2; j <= 4; ++j)
      for (std::int64_t i = 2; i <= 4; ++i) maps.at(i, j, k, 0) = 1.0f;
  maps.at(5, 5, 4, 1) = 1.0f;
  fs::create_directories(gt);
  maps.write(gt / "sub-01_task-motor_run-01_desc-groundtruth_components.nii.gz");
  write_text(
      gt / "sub-01_task-motor_run-01_desc-groundtruth_components.json",
      R"({"Networks": [{"Name": "lf", "Condition": "lf"}, {"Name": "rh", "Condition": "rh"}]})");
  ASSERT_EQ(test::call(*app::make_report_command(),
                       {(dir / "deriv").string(), "-q", "--ground-truth", (dir / "gt").string()}),
            0);
  const std::string g = read_file(dir / "deriv" / "group.html");
  ASSERT_NE(g.find("Planted networks (simulation ground truth)"), std::string::npos);
  EXPECT_LT(g.find("Planted networks"), g.find("Participants"));
  // The core of "lf" (27 voxels, 18 in the mask) against the design: the fixture's series rise
  // linearly in time, the design alternates, so a small r; computed, not a dash.
  EXPECT_NE(g.find("<tr><td>sub-01_task-motor_run-01</td><td class=\"num\">"), std::string::npos);
  // The assigned atoms' maps peak at (3, 3, 2), inside "lf" and outside "rh".
  const std::string num = "<td class=\"num\">";
  const auto table = g.find("Spatial maps of the assigned atoms against the planted networks");
  ASSERT_NE(table, std::string::npos);
  const auto lf = g.find("<td>sub-01_task-motor_run-01</td><td>lf</td>" + num, table);
  ASSERT_NE(lf, std::string::npos);
  EXPECT_NE(g.substr(lf, 400).find("yes"), std::string::npos) << g.substr(lf, 400);
  const auto rh = g.find("<td>sub-01_task-motor_run-01</td><td>rh</td>" + num, lf);
  ASSERT_NE(rh, std::string::npos);
  EXPECT_NE(g.substr(rh, 400).find("no (0)"), std::string::npos) << g.substr(rh, 400);
  EXPECT_NE(g.find("green: the planted lf network&#39;s core"), std::string::npos);
  // Without the ground truth the section is not there.
  ASSERT_EQ(
      test::call(*app::make_report_command(), {(dir / "deriv").string(), "-q", "--level", "group"}),
      0);
  EXPECT_EQ(read_file(dir / "deriv" / "group.html").find("Planted networks"), std::string::npos);
}

TEST(ReportCommand, MissingPiecesLeaveNotes) {
  test::TempDir dir;
  make_derivatives(dir / "deriv");
  fs::remove(dir / "deriv" / "task-motor_desc-rawodl_decomposition.json");
  fs::remove(dir / "deriv" / "task-motor_desc-dcaeodl_decomposition.json");
  fs::remove_all(dir / "deriv" / "model");
  ASSERT_EQ(
      test::call(*app::make_report_command(), {(dir / "deriv").string(), "-q", "--level", "group",
                                               "--output-dir", (dir / "html").string()}),
      0);
  EXPECT_FALSE(fs::exists(dir / "html" / "sub-01.html"));
  const std::string g = read_file(dir / "html" / "group.html");
  EXPECT_NE(g.find("Training loss missing"), std::string::npos);
  EXPECT_NE(g.find("No decomposition found"), std::string::npos);
  EXPECT_EQ(count(g, "<svg "), 0u);
  // The explicit loss log is used.
  write_text(dir / "elsewhere" / "loss.tsv", "step\tepoch\tloss\n1\t0\t3\n2\t0\t2\n3\t0\t1\n");
  ASSERT_EQ(
      test::call(*app::make_report_command(),
                 {(dir / "deriv").string(), "-q", "--level", "group", "--output-dir",
                  (dir / "html").string(), "--loss", (dir / "elsewhere" / "loss.tsv").string()}),
      0);
  EXPECT_NE(read_file(dir / "html" / "group.html").find("3 steps, 1 epoch(s)"), std::string::npos);
}

TEST(ReportCommand, MalformedInputsFailNamingTheFile) {
  test::TempDir dir;
  make_derivatives(dir / "deriv");
  const fs::path conf =
      dir / "deriv" / "sub-02" / "func" / "sub-02_task-motor_desc-confounds_timeseries.tsv";
  write_text(conf,
             "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\n0\t0\t0\t0\t0\t0\n0\t0\t0\t0\t0\n");
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(*app::make_report_command(), {(dir / "deriv").string(), "-q"}), 1);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(
      err.find(
          "sub-02_task-motor_desc-confounds_timeseries.tsv:3: expected 6 tab-separated fields"),
      std::string::npos)
      << err;
  EXPECT_FALSE(fs::exists(dir / "deriv" / "group.html"));

  fs::remove(conf);
  write_text(dir / "deriv" / "sub-01" / "func" / "sub-01_task-motor_run-01_desc-brain_mask.nii.gz",
             "not a NIfTI file");
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(*app::make_report_command(),
                       {(dir / "deriv").string(), "-q", "--participant-label", "sub-01"}),
            1);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("sub-01_task-motor_run-01_desc-brain_mask.nii.gz"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;

  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(*app::make_report_command(),
                       {(dir / "deriv").string(), "-q", "--participant-label", "07"}),
            2);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("participant '07' not found"), std::string::npos) << err;
  EXPECT_NE(err.find("found: 01, 02"), std::string::npos) << err;
}

TEST(ReportDiscovery, PrefersNativeSpaceAndPairsTheMask) {
  test::TempDir dir;
  const fs::path f = dir / "sub-01" / "ses-a" / "func";
  for (const char* name : {"sub-01_ses-a_task-x_run-1_space-MNI_desc-preproc_bold.nii.gz",
                           "sub-01_ses-a_task-x_run-1_space-MNI_desc-brain_mask.nii.gz",
                           "sub-01_ses-a_task-x_run-1_desc-preproc_bold.nii.gz",
                           "sub-01_ses-a_task-x_run-1_desc-brain_mask.nii.gz",
                           "sub-01_ses-a_task-x_run-1_desc-confounds_timeseries.tsv",
                           "sub-01_ses-a_task-x_run-2_desc-confounds_timeseries.tsv"}) {
    write_text(f / name, "");
  }
  EXPECT_EQ(find_participants(dir.path()), (std::vector<std::string>{"01"}));
  const auto runs = find_runs(dir.path(), "01");
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].name, "sub-01_ses-a_task-x_run-1");
  EXPECT_EQ(runs[0].bold.filename(), "sub-01_ses-a_task-x_run-1_desc-preproc_bold.nii.gz");
  EXPECT_EQ(runs[0].mask.filename(), "sub-01_ses-a_task-x_run-1_desc-brain_mask.nii.gz");
  EXPECT_EQ(runs[1].name, "sub-01_ses-a_task-x_run-2");
  EXPECT_TRUE(runs[1].bold.empty());
}

} // namespace
} // namespace dcae::report
