#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>

#include "app/commands.h"
#include "core/log.h"
#include "core/strings.h"
#include "core/temporal_filter.h"
#include "io/json.h"
#include "io/nifti.h"
#include "io/shard.h"
#include "sim/simulator.h"
#include "test_data.h"
#include "test_state.h"

namespace fs = std::filesystem;

namespace dcae::app {
namespace {

/// A small simulated BIDS dataset (one run, interleaved slices) in `dir`/bids.
fs::path simulate(const test::TempDir& dir) {
  sim::SimulationConfig c;
  c.subjects = 1;
  c.grid = {24, 28, 20};
  c.voxel_mm = {6, 6, 6};
  c.tr_s = 2.0;
  c.volumes = 40;
  c.slice_order = sim::SliceOrder::kInterleaved;
  const test::LogLevel quiet_log(log::Level::kWarning);
  sim::simulate_dataset(c, dir / "bids");
  return dir / "bids" / "sub-01" / "func" / "sub-01_task-motor_run-01_bold.nii.gz";
}

std::size_t count_files(const fs::path& p) {
  if (!fs::exists(p)) return 0;
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(p)) n += e.is_regular_file();
  return n;
}

} // namespace

TEST(PreprocCommand, WritesDerivativesAndSkipsAnIdenticalRerun) {
  test::TempDir dir;
  const fs::path bold = simulate(dir);
  const fs::path out = dir / "out";
  ASSERT_EQ(test::call(*make_preproc_command(), {bold.string(), out.string(), "-q"}), 0);
  const fs::path func = out / "sub-01" / "func";
  const std::string stem = "sub-01_task-motor_run-01_";
  for (const char* f :
       {"desc-preproc_bold.nii.gz", "desc-preproc_bold.json", "desc-filtered_bold.nii.gz",
        "desc-filtered_bold.json", "desc-brain_mask.nii.gz", "desc-brain_mask.json",
        "desc-confounds_timeseries.tsv", "desc-confounds_timeseries.json"}) {
    EXPECT_TRUE(fs::exists(func / (stem + f))) << f;
  }
  // The output folder is described as a derivative dataset of the raw dataset the run is in.
  const auto description = io::read_json(out / "dataset_description.json");
  EXPECT_EQ(description["DatasetType"], "derivative");
  EXPECT_EQ(description["GeneratedBy"][0]["Name"], "dcae");
  EXPECT_EQ(description["SourceDatasets"][0]["URL"], "bids:raw:");
  EXPECT_EQ(description["DatasetLinks"]["raw"],
            fs::absolute(dir / "bids").lexically_normal().generic_string());
  const io::Image pre = io::Image::read(func / (stem + "desc-preproc_bold.nii.gz"));
  EXPECT_EQ(pre.header().dim, (std::array<std::int64_t, 4>{24, 28, 20, 40}));
  EXPECT_DOUBLE_EQ(pre.header().tr_s, 2.0);
  const auto sidecar = io::read_json(func / (stem + "desc-preproc_bold.json"));
  EXPECT_TRUE(
      sidecar["SliceTimingCorrected"].get<bool>()); // SliceTiming inherited from the top level
  EXPECT_DOUBLE_EQ(sidecar["RepetitionTime"].get<double>(), 2.0);
  EXPECT_EQ(sidecar["Sources"][0], "bids:raw:sub-01/func/sub-01_task-motor_run-01_bold.nii.gz");
  // desc-preproc is fMRIPrep's: corrected, not smoothed, scaled or filtered: its intensities
  // are the raw ones. desc-filtered is FEAT's filtered_func_data: scaled to a median of 10000.
  const io::Image filtered = io::Image::read(func / (stem + "desc-filtered_bold.nii.gz"));
  const io::Image raw = io::Image::read(bold);
  const auto fsidecar = io::read_json(func / (stem + "desc-filtered_bold.json"));
  EXPECT_EQ(fsidecar["Sources"][0], "bids::sub-01/func/" + stem + "desc-preproc_bold.nii.gz");
  EXPECT_DOUBLE_EQ(fsidecar["SmoothingFWHM"].get<double>(), 5.0);
  EXPECT_EQ(io::read_json(func / (stem + "desc-brain_mask.json"))["Type"], "Brain");
  const io::Image brain = io::Image::read(func / (stem + "desc-brain_mask.nii.gz"));
  auto median_in_brain = [&](const io::Image& img) {
    std::vector<float> v;
    for (std::size_t i = 0; i < brain.data().size(); ++i)
      if (brain.data()[i]) v.push_back(img.volume(0)[i]);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
  };
  std::printf("in-brain medians: raw %.1f, preproc %.1f, filtered %.1f\n", median_in_brain(raw),
              median_in_brain(pre), median_in_brain(filtered));
  EXPECT_NEAR(median_in_brain(pre), median_in_brain(raw), 0.2 * median_in_brain(raw));
  EXPECT_GT(std::fabs(median_in_brain(raw) - 10000.0), 0.3 * 10000.0); // a test that can fail
  EXPECT_NEAR(median_in_brain(filtered), 10000.0, 1000.0);
  // Confounds: fMRIPrep's column names, one row per volume, the motion close to the truth.
  std::ifstream tsv(func / (stem + "desc-confounds_timeseries.tsv"));
  std::string header;
  std::getline(tsv, header);
  // 40 volumes at TR 2 s (80 s) and a 100 s high-pass: floor(2 * 80 / 100) - 1 = 0 cosine
  // regressors (the cosines are tested in Tissue.CosineBasisAsNilearn).
  EXPECT_EQ(header, "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement\tdvars"
                    "\tglobal_signal\tcsf\twhite_matter");
  std::ifstream truth(dir / "bids" / "derivatives" / "groundtruth" / "sub-01" / "func" /
                      (stem + "desc-groundtruth_timeseries.tsv"));
  std::getline(truth, header);
  double worst = 0;
  for (int t = 0; t < 40; ++t) {
    double est[6], tru[6], dummy;
    for (double& v : est) tsv >> v;
    std::string rest; // framewise_displacement, dvars, tissue signals, cosines
    std::getline(tsv, rest);
    for (double& v : tru) truth >> v;
    truth >> dummy;
    for (int a = 0; a < 3; ++a) worst = std::max(worst, std::fabs(est[a] - tru[a]));
  }
  EXPECT_LT(worst, 0.5); // mm, at 6 mm voxels with slice-timing offsets in the data
  // The shard: z-scored in-mask series, readable, matching the mask.
  io::ShardReader shard(out / "shards" / (stem + "desc-preproc_timeseries.npy"));
  EXPECT_EQ(shard.info().n_timepoints, 40);
  const io::Image mask = io::Image::read(func / (stem + "desc-brain_mask.nii.gz"));
  double in_mask = 0;
  for (float v : mask.data()) in_mask += v;
  EXPECT_EQ(shard.info().n_voxels, static_cast<std::int64_t>(in_mask));
  // Nothing staged is left behind; an identical re-run is skipped (the outputs keep their time).
  const auto before = fs::last_write_time(func / (stem + "desc-preproc_bold.nii.gz"));
  testing::internal::CaptureStderr();
  ASSERT_EQ(test::call(*make_preproc_command(), {bold.string(), out.string()}), 0);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("up to date, skipped"), std::string::npos);
  EXPECT_EQ(fs::last_write_time(func / (stem + "desc-preproc_bold.nii.gz")), before);
  EXPECT_EQ(count_files(out),
            11u); // 8 derivatives, the shard and its sidecar, dataset_description.json
}

TEST(PreprocCommand, BadRunsFailWithExitOneAndNoOutput) {
  test::TempDir dir;
  const fs::path bold = simulate(dir);
  const io::Image good = io::Image::read(bold);
  auto expect_fails = [&](const fs::path& input, const std::string& needle,
                          std::vector<std::string> extra = {}) {
    const fs::path out = dir / ("out-" + input.stem().stem().string());
    std::vector<std::string> args = {input.string(), out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    testing::internal::CaptureStderr();
    EXPECT_EQ(test::call(*make_preproc_command(), args), 1) << needle;
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find(needle), std::string::npos) << err;
    EXPECT_EQ(count_files(out), 0u) << needle;
  };
  const fs::path bad = dir / "bad" / "sub-01" / "func";
  fs::create_directories(bad);
  // 3-D image.
  io::Image vol(good.header());
  vol.header().dim[3] = 1;
  vol.data().assign(good.volume(0), good.volume(0) + good.header().voxels_per_volume());
  vol.write(bad / "sub-01_task-a_bold.nii.gz");
  expect_fails(bad / "sub-01_task-a_bold.nii.gz",
               "sub-01_task-a_bold.nii.gz: expected a 4-D image");
  // NaNs.
  io::Image nan = good;
  nan.data()[1000] = std::nanf("");
  nan.write(bad / "sub-01_task-b_bold.nii.gz");
  expect_fails(bad / "sub-01_task-b_bold.nii.gz",
               "sub-01_task-b_bold.nii.gz: 1 voxel values are NaN");
  // No TR anywhere.
  io::Image notr = good;
  notr.header().tr_s = 0;
  notr.write(bad / "sub-01_task-c_bold.nii.gz");
  expect_fails(bad / "sub-01_task-c_bold.nii.gz", "sub-01_task-c_bold.nii.gz: no repetition time");
  // SliceTiming of the wrong length.
  good.write(bad / "sub-01_task-d_bold.nii.gz");
  test::put(bad / "st.json", R"({"RepetitionTime": 2.0, "SliceTiming": [0, 0.5, 1.0]})");
  expect_fails(bad / "sub-01_task-d_bold.nii.gz", "st.json: SliceTiming has 3 entries",
               {"--sidecar", (bad / "st.json").string()});
}

} // namespace dcae::app

namespace dcae::app {

TEST(PreprocCommand, TemplateSpaceOutputs) {
  const auto templ = test::shared_data() / "templates" / "2mm-MNI152-2009fsl-brain.nii.gz";
  DCAE_REQUIRE_DATA(templ);
  test::TempDir dir;
  const fs::path bold = simulate(dir);
  ASSERT_EQ(test::call(*make_preproc_command(), {bold.string(), (dir / "out").string(), "-q",
                                                 "--template", templ.string(), "--no-shard"}),
            0);
  const fs::path func = dir / "out" / "sub-01" / "func";
  const io::Image pre = io::Image::read(
      func / "sub-01_task-motor_run-01_space-MNI152NLin6Asym_desc-preproc_bold.nii.gz");
  EXPECT_EQ(pre.header().dim,
            (std::array<std::int64_t, 4>{91, 109, 91, 40})); // the template's grid
  const io::Image mask = io::Image::read(
      func / "sub-01_task-motor_run-01_space-MNI152NLin6Asym_desc-brain_mask.nii.gz");
  // Registration accuracy is tested on the MNI brain itself (TemplateRegistration); here, the
  // outputs: the run and its mask on the template's grid, the map in the sidecar.
  double in_mask = 0;
  for (float v : mask.data()) in_mask += v;
  EXPECT_GT(in_mask, 1000.0);
  EXPECT_LT(in_mask, static_cast<double>(mask.data().size()) / 2);
  const auto sidecar =
      io::read_json(func / "sub-01_task-motor_run-01_space-MNI152NLin6Asym_desc-preproc_bold.json");
  EXPECT_EQ(sidecar["TemplateTransform"]["Matrix"].size(), 3u);
}

} // namespace dcae::app

namespace dcae::app {
namespace {

/// The motion columns of a confounds TSV, [parameter][volume].
std::vector<std::vector<double>> read_motion(const fs::path& tsv_path, int volumes) {
  std::ifstream tsv(tsv_path);
  std::string line;
  std::getline(tsv, line);
  std::vector<std::vector<double>> m(6, std::vector<double>(static_cast<std::size_t>(volumes)));
  for (int t = 0; t < volumes; ++t) {
    for (auto& c : m) tsv >> c[static_cast<std::size_t>(t)];
    std::string rest; // the other columns
    std::getline(tsv, rest);
  }
  return m;
}

/// The largest |Pearson r| of any shard row with any of the series.
double worst_correlation(const fs::path& shard_path, const std::vector<std::vector<double>>& xs) {
  io::ShardReader shard(shard_path);
  const auto nt = static_cast<std::size_t>(shard.info().n_timepoints);
  std::vector<float> rows(static_cast<std::size_t>(shard.info().n_voxels) * nt);
  shard.read_rows(0, shard.info().n_voxels, rows.data());
  double worst = 0.0;
  for (const auto& x0 : xs) {
    std::vector<double> x = x0;
    double mx = 0.0, sxx = 0.0;
    for (const double v : x) mx += v / static_cast<double>(nt);
    for (double& v : x) {
      v -= mx;
      sxx += v * v;
    }
    if (sxx == 0.0) continue;
    for (std::size_t r = 0; r < rows.size() / nt; ++r) {
      double my = 0.0, sxy = 0.0, syy = 0.0;
      for (std::size_t t = 0; t < nt; ++t) my += rows[r * nt + t] / static_cast<double>(nt);
      for (std::size_t t = 0; t < nt; ++t) {
        const double y = rows[r * nt + t] - my;
        sxy += x[t] * y;
        syy += y * y;
      }
      if (syy > 0.0) worst = std::max(worst, std::fabs(sxy) / std::sqrt(sxx * syy));
    }
  }
  return worst;
}

} // namespace

TEST(PreprocCommand, TheShardHasTheMotionEstimatesRegressedOut) {
  // The motion estimates, high-passed as the data were (FEAT's sigma: 100 s / (2 TR)), are
  // uncorrelated with every series of the default shard; without the regression, series at
  // the brain's edge follow the motion.
  test::TempDir dir;
  const fs::path bold = simulate(dir);
  const std::string stem = "sub-01_task-motor_run-01_";
  const fs::path with = dir / "with", without = dir / "without";
  ASSERT_EQ(test::call(*make_preproc_command(), {bold.string(), with.string(), "-q"}), 0);
  ASSERT_EQ(test::call(*make_preproc_command(),
                       {bold.string(), without.string(), "-q", "--motion-regressors", "0"}),
            0);
  auto motion =
      read_motion(with / "sub-01" / "func" / (stem + "desc-confounds_timeseries.tsv"), 40);
  for (auto& c : motion) c = highpass_filter(c, highpass_sigma_volumes(100.0, 2.0));
  const fs::path shard = fs::path("shards") / (stem + "desc-preproc_timeseries.npy");
  const double after = worst_correlation(with / shard, motion),
               before = worst_correlation(without / shard, motion);
  std::cerr << "largest |r| of a series with a motion parameter: " << before << " without, "
            << after << " with the regression\n";
  EXPECT_LT(after, 1e-3);
  EXPECT_GT(before, 0.3);
  const auto prov = io::read_shard_info(with / shard).provenance;
  EXPECT_EQ(prov.at("NuisanceRegressors").size(), 6U);
  EXPECT_EQ(prov.at("NuisanceRank").get<int>(), 7);
  EXPECT_TRUE(prov.at("NuisanceRegressorsFiltered").get<bool>());
  EXPECT_TRUE(io::read_shard_info(without / shard).provenance.at("NuisanceRegressors").empty());
}

TEST(PreprocCommand, TissueRegressorsAreTakenOutWhenAsked) {
  // --tissue-regressors adds the confounds' white_matter and csf series (high-passed as the
  // data) to the motion: no shard series follows them afterwards.
  test::TempDir dir;
  const fs::path bold = simulate(dir);
  const std::string stem = "sub-01_task-motor_run-01_";
  ASSERT_EQ(test::call(*make_preproc_command(),
                       {bold.string(), (dir / "out").string(), "-q", "--tissue-regressors"}),
            0);
  std::ifstream tsv(dir / "out" / "sub-01" / "func" / (stem + "desc-confounds_timeseries.tsv"));
  std::string line;
  std::getline(tsv, line);
  const auto names = split(line, '\t');
  const auto wm = std::find(names.begin(), names.end(), "white_matter") - names.begin(),
             csf = std::find(names.begin(), names.end(), "csf") - names.begin();
  ASSERT_LT(static_cast<std::size_t>(wm), names.size());
  std::vector<std::vector<double>> tissue(2);
  while (std::getline(tsv, line)) {
    const auto cells = split(line, '\t');
    tissue[0].push_back(std::stod(cells[static_cast<std::size_t>(wm)]));
    tissue[1].push_back(std::stod(cells[static_cast<std::size_t>(csf)]));
  }
  for (auto& c : tissue) c = highpass_filter(c, highpass_sigma_volumes(100.0, 2.0));
  const fs::path shard = dir / "out" / "shards" / (stem + "desc-preproc_timeseries.npy");
  ASSERT_EQ(test::call(*make_preproc_command(), {bold.string(), (dir / "motion").string(), "-q"}),
            0);
  const double r = worst_correlation(shard, tissue),
               before = worst_correlation(
                   dir / "motion" / "shards" / (stem + "desc-preproc_timeseries.npy"), tissue);
  std::cerr << "largest |r| of a series with a tissue signal: " << before << " with motion "
            << "regressors only, " << r << " with the tissue regressors too\n";
  EXPECT_LT(r, 1e-3);
  EXPECT_GT(before, 0.3);
  const auto prov = io::read_shard_info(shard).provenance;
  EXPECT_EQ(prov.at("NuisanceRegressors").size(), 8U);
  EXPECT_EQ(prov.at("NuisanceRegressors").back(), "csf");
}

} // namespace dcae::app
