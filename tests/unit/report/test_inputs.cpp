#include <cmath>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/motion_params.h"
#include "report/inputs.h"
#include "report_test_util.h"
#include "test_data.h"

namespace dcae::report {
namespace {

using test_util::write_text;

TEST(Inputs, TsvWithAWrongColumnCountNamesFileAndLine) {
  test::TempDir dir;
  write_text(dir / "a.tsv", "x\ty\n1\t2\n3\n");
  test::expect_error([&] { read_tsv(dir / "a.tsv"); }, ExitCode::kBadInput,
                     {"a.tsv:3", "expected 2 tab-separated fields", "found 1"});
  write_text(dir / "b.tsv", "x\ty\r\n1\t2\r\n\r\n4\tabc\r\n");
  const TsvTable t = read_tsv(dir / "b.tsv");
  EXPECT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.numbers("x"), (std::vector<double>{1, 4}));
  test::expect_error([&] { t.numbers("y"); }, ExitCode::kBadInput,
                     {"b.tsv:3", "'abc' is not a number"});
  test::expect_error([&] { t.numbers("z"); }, ExitCode::kBadInput, {"b.tsv", "no column 'z'"});
  test::expect_error([&] { read_tsv(dir / "missing.tsv"); }, ExitCode::kBadInput, {"missing.tsv"});
  write_text(dir / "empty.tsv", "");
  test::expect_error([&] { read_tsv(dir / "empty.tsv"); }, ExitCode::kBadInput,
                     {"empty.tsv", "no header"});
}

TEST(Inputs, ConfoundsGiveMotionAndFd) {
  test::TempDir dir;
  write_text(dir / "c.tsv",
             "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\tframewise_displacement\tdvars\n"
             "0\t0\t0\t0\t0\t0\tn/a\tn/a\n"
             "0.5\t0\t0\t0\t0\t0\t0.5\t3\n"
             "0.5\t0.2\t0\t0\t0\t0\t0.2\t3\n");
  const Confounds c = read_confounds(dir / "c.tsv");
  ASSERT_EQ(c.volumes(), 3u);
  EXPECT_TRUE(std::isnan(c.fd[0]));
  EXPECT_DOUBLE_EQ(c.mean_fd(), 0.35);
  EXPECT_DOUBLE_EQ(c.max_fd(), 0.5);
  EXPECT_DOUBLE_EQ(c.motion[1][2], 0.2);
  // Without the FD column it is computed from the motion (50 mm sphere).
  write_text(
      dir / "d.tsv",
      "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\n0\t0\t0\t0\t0\t0\n0\t0\t0\t1\t0\t0\n");
  const Confounds d = read_confounds(dir / "d.tsv");
  EXPECT_NEAR(d.fd[1], 50.0 * M_PI / 180.0, 1e-12);
  write_text(dir / "e.tsv", "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\n0\t0\t0\t0\t0\n");
  test::expect_error([&] { read_confounds(dir / "e.tsv"); }, ExitCode::kBadInput,
                     {"e.tsv", "no column 'rot_z'"});
}

TEST(Inputs, LossLogAndEpochMeans) {
  test::TempDir dir;
  write_text(dir / "loss.tsv", "step\tepoch\tloss\n1\t0\t4\n2\t0\t2\n3\t1\t1\n4\t1\t0.5\n");
  const LossLog l = read_loss_log(dir / "loss.tsv");
  ASSERT_EQ(l.loss.size(), 4u);
  const auto m = l.epoch_means();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].loss, 3.0);
  EXPECT_DOUBLE_EQ(m[0].step, 2.0);
  EXPECT_DOUBLE_EQ(m[1].loss, 0.75);
  write_text(dir / "bad.tsv", "step\tloss\n1\t4\n");
  test::expect_error([&] { read_loss_log(dir / "bad.tsv"); }, ExitCode::kBadInput,
                     {"bad.tsv", "no column 'epoch'"});
  // Distributed training's log: one row per epoch.
  write_text(dir / "dist.tsv", "epoch\tloss\n0\t0.98\n1\t0.9\n");
  const LossLog d = read_loss_log(dir / "dist.tsv");
  EXPECT_EQ(d.step, (std::vector<double>{0, 1}));
  EXPECT_EQ(d.loss, (std::vector<double>{0.98, 0.9}));
}

TEST(Inputs, DecompositionFollowsTheContract) {
  test::TempDir dir;
  write_text(dir / "task-motor_desc-rawodl_decomposition.json",
             R"({"Method": "ODL", "Label": "rawodl", "K": 2,
    "Lambda": 0.1, "Source": "raw", "TR": 2.0,
    "Scores": [{"Condition": "lf", "Atom": 1, "Column": "rawodl_001", "MedianR": 0.8, "MinR": 0.7, "NullR95": 0.5,
                "Runs": 2, "RunsAboveNull": 2},
               {"Condition": "rh", "Atom": -1, "MedianR": 0.6, "MinR": 0.4, "NullR95": 0.5, "Runs": 2, "RunsAboveNull": 1}],
    "Runs": [{"Name": "sub-01_task-motor_run-01", "Mixing": "sub-01/func/sub-01_task-motor_run-01_desc-rawodl_mixing.tsv",
              "Components": "sub-01/func/sub-01_task-motor_run-01_desc-rawodl_components.nii.gz",
              "Design": {"Conditions": ["lf", "rh"], "Regressors": [[0, 1, 0], [1, 0, 0]]},
              "Scores": [{"Condition": "lf", "Atom": 1, "r": 0.8, "NullR95": 0.5},
                         {"Condition": "rh", "Atom": 0, "r": 0.4, "NullR95": null}]}]})");
  write_text(dir / "sub-01" / "func" / "sub-01_task-motor_run-01_desc-rawodl_mixing.tsv",
             "rawodl_000\trawodl_001\n1\t0\n0\t1\n0\t0\n");
  const Decomposition d = read_decomposition(dir / "task-motor_desc-rawodl_decomposition.json");
  EXPECT_EQ(d.prefix, "task-motor");
  EXPECT_EQ(d.subject, "");
  EXPECT_TRUE(d.raw());
  EXPECT_EQ(d.k, 2);
  ASSERT_EQ(d.scores.size(), 2u);
  EXPECT_DOUBLE_EQ(d.scores[0].r, 0.8); // the median over runs
  EXPECT_DOUBLE_EQ(d.scores[0].min_r, 0.7);
  EXPECT_EQ(d.scores[1].atom, -1); // different atoms in different runs
  EXPECT_EQ(d.scores[1].runs_above_null, 1);
  ASSERT_EQ(d.runs.size(), 1u);
  const DecompositionRun& run = d.runs[0];
  EXPECT_EQ(run.subject, "01");
  ASSERT_NE(run.score("rh"), nullptr);
  EXPECT_EQ(run.score("rh")->column, "rawodl_000");
  EXPECT_TRUE(std::isnan(run.score("rh")->null_r95));
  EXPECT_FALSE(run.score("rh")->above_null());
  EXPECT_TRUE(run.score("lf")->above_null());
  ASSERT_NE(run.atom_series("rawodl_001"), nullptr);
  EXPECT_EQ(*run.atom_series("rawodl_001"), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(run.components.filename(), "sub-01_task-motor_run-01_desc-rawodl_components.nii.gz");
  EXPECT_EQ(d.conditions(), (std::vector<std::string>{"lf", "rh"}));

  // A mixing table whose columns disagree with K, or whose length disagrees with the design.
  write_text(dir / "sub-01_task-motor_desc-dcaeodl_decomposition.json",
             R"({"Label": "dcaeodl", "K": 3, "Source": "features",
    "Runs": [{"Name": "sub-01_task-motor", "Mixing": "sub-01_task-motor_desc-dcaeodl_mixing.tsv",
              "Design": {"Conditions": ["lf"], "Regressors": [[0, 1, 0]]}, "Scores": []}]})");
  write_text(dir / "sub-01_task-motor_desc-dcaeodl_mixing.tsv",
             "dcaeodl_000\tdcaeodl_001\n1\t0\n0\t1\n0\t0\n");
  test::expect_error(
      [&] { read_decomposition(dir / "sub-01_task-motor_desc-dcaeodl_decomposition.json"); },
      ExitCode::kBadInput, {"sub-01_task-motor_desc-dcaeodl_mixing.tsv", "expected K = 3 columns"});
  write_text(dir / "sub-01_task-motor_desc-dcaeodl_mixing.tsv", "a\tb\tc\n1\t0\t0\n");
  test::expect_error(
      [&] { read_decomposition(dir / "sub-01_task-motor_desc-dcaeodl_decomposition.json"); },
      ExitCode::kBadInput, {"1 rows but the design", "3 volumes"});
  write_text(dir / "task-x_desc-y_decomposition.json", R"({"Scores": [{"Condition": "lf"}]})");
  test::expect_error([&] { read_decomposition(dir / "task-x_desc-y_decomposition.json"); },
                     ExitCode::kBadInput, {"task-x_desc-y_decomposition.json", "\"Scores\""});
  write_text(dir / "task-x_desc-z_decomposition.json", "{\"K\": ");
  test::expect_error([&] { read_decomposition(dir / "task-x_desc-z_decomposition.json"); },
                     ExitCode::kBadInput, {"task-x_desc-z_decomposition.json"});
}

TEST(Inputs, FindsDecompositionsRecursively) {
  test::TempDir dir;
  write_text(dir / "sub-01" / "func" / "sub-01_task-motor_desc-rawodl_decomposition.json", "{}");
  write_text(dir / "group" / "task-motor_desc-dcaeodl_decomposition.json", "{}");
  write_text(dir / ".staging" / "task-motor_desc-x_decomposition.json", "{}");
  write_text(dir / "group" / "task-motor_desc-dcaeodl_mixing.tsv", "");
  const auto found = find_decompositions(dir.path());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].filename(), "task-motor_desc-dcaeodl_decomposition.json");
  EXPECT_EQ(found[1].filename(), "sub-01_task-motor_desc-rawodl_decomposition.json");
}

} // namespace
} // namespace dcae::report
