#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "app/command.h"
#include "core/error.h"
#include "test_data.h"
#include "test_state.h"

namespace dcae::app {
namespace {

Usage demo_usage() {
  Usage u;
  u.name = "dcae-demo";
  u.summary = "demo";
  Argument in;
  in.name = "bids_dir";
  in.kind = ArgKind::kInputDir;
  in.positional = true;
  in.required = true;
  u.arguments.push_back(in);
  Argument n;
  n.name = "subjects";
  n.kind = ArgKind::kInt;
  n.default_value = "2";
  n.min = 1;
  n.max = 10;
  u.arguments.push_back(n);
  Argument lay;
  lay.name = "layout";
  lay.kind = ArgKind::kChoice;
  lay.choices = {"bids", "hcp"};
  lay.default_value = "bids";
  u.arguments.push_back(lay);
  Argument grid;
  grid.name = "grid";
  grid.kind = ArgKind::kIntList;
  grid.list_size = 3;
  grid.default_value = "40 48 36";
  u.arguments.push_back(grid);
  Argument labels;
  labels.name = "participant-label";
  labels.kind = ArgKind::kStringList;
  labels.aliases = {"participant_label"};
  u.arguments.push_back(labels);
  Argument fwhm;
  fwhm.name = "fwhm";
  fwhm.kind = ArgKind::kFloat;
  fwhm.default_value = "5";
  fwhm.min = 0;
  u.arguments.push_back(fwhm);
  Argument force;
  force.name = "overwrite";
  force.kind = ArgKind::kFlag;
  u.arguments.push_back(force);
  return u;
}

std::string usage_error_of(const std::vector<std::string>& argv) {
  try {
    parse_arguments(demo_usage(), argv);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadUsage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no usage error";
  return "";
}

} // namespace

TEST(Command, DefaultsAndTypedValues) {
  test::TempDir dir;
  const ParsedArgs a = parse_arguments(demo_usage(), {dir.path().string()});
  EXPECT_EQ(a.integer("subjects"), 2);
  EXPECT_EQ(a.string("layout"), "bids");
  EXPECT_EQ(a.integers("grid"), (std::vector<long long>{40, 48, 36}));
  EXPECT_DOUBLE_EQ(a.number("fwhm"), 5.0);
  EXPECT_FALSE(a.flag("overwrite"));
  EXPECT_FALSE(a.has("participant-label"));
  const ParsedArgs b =
      parse_arguments(demo_usage(), {"--subjects", "4", dir.path().string(), "--grid", "8", "9",
                                     "10", "--participant_label", "sub-01", "02", "--overwrite",
                                     "-vv", "--nthreads", "3", "--fwhm=6.5"});
  EXPECT_EQ(b.integer("subjects"), 4);
  EXPECT_EQ(b.integers("grid"), (std::vector<long long>{8, 9, 10}));
  EXPECT_EQ(b.strings("participant-label"), (std::vector<std::string>{"sub-01", "02"}));
  EXPECT_TRUE(b.flag("overwrite"));
  EXPECT_EQ(b.verbosity, 2);
  EXPECT_EQ(b.nthreads, 3);
  EXPECT_DOUBLE_EQ(b.number("fwhm"), 6.5);
}

TEST(Command, BadCommandLinesAreUsageErrors) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  EXPECT_NE(usage_error_of({}).find("bids_dir"), std::string::npos);
  EXPECT_NE(usage_error_of({d, "--subjects", "0"}).find("--subjects must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(
      usage_error_of({d, "--subjects", "two"}).find("--subjects: expected an integer, got 'two'"),
      std::string::npos);
  EXPECT_NE(usage_error_of({d, "--layout", "nifti"}).find("must be one of {bids, hcp}"),
            std::string::npos);
  EXPECT_NE(usage_error_of({d, "--grid", "1", "2"}).find("grid"), std::string::npos);
  EXPECT_NE(usage_error_of({d, "--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(usage_error_of({"/nonexistent/bids"}).find("no such folder '/nonexistent/bids'"),
            std::string::npos);
  EXPECT_NE(usage_error_of({d, "--nthreads", "-1"}).find("--nthreads"), std::string::npos);
}

// At most one of a mutually exclusive group, and every file of a file list must exist; both
// are in the usage JSON (Boutiques "groups", File lists).
TEST(Command, MutuallyExclusiveGroupsAndFileLists) {
  Usage u = demo_usage();
  Argument shards;
  shards.name = "shards";
  shards.kind = ArgKind::kInputFileList;
  u.arguments.push_back(shards);
  u.mutually_exclusive = {{"participant-label", "overwrite"}};
  const std::string dir = testing::TempDir();
  EXPECT_NO_THROW(parse_arguments(u, {dir, "--participant-label", "01"}));
  EXPECT_NO_THROW(parse_arguments(u, {dir, "--overwrite"}));
  try {
    parse_arguments(u, {dir, "--participant-label", "01", "--overwrite"});
    ADD_FAILURE() << "both members of a mutually exclusive group were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--participant-label and --overwrite: give at most one"),
              std::string::npos)
        << e.what();
  }
  try {
    parse_arguments(u, {dir, "--shards", dir, dir + "/missing.npy"});
    ADD_FAILURE() << "a missing file of a file list was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("no such file '" + dir + "/missing.npy'"),
              std::string::npos)
        << e.what();
  }
  const auto j = usage_json(u);
  EXPECT_EQ(j["mutually_exclusive"][0][1], "overwrite");
  for (const auto& a : j["arguments"])
    if (a["name"] == "shards") EXPECT_EQ(a["kind"], "input-file-list");
  u.mutually_exclusive = {{"subjects", "overwrite"}}; // a member with a default: a bug
  EXPECT_THROW(parse_arguments(u, {dir}), std::logic_error);
}

TEST(Command, ConfigFileThenCommandLine) {
  test::TempDir dir;
  std::ofstream(dir / "c.yaml")
      << "subjects: 7\nlayout: hcp\ngrid: [10, 11, 12]\nparticipant_label: [a, b]\n";
  const ParsedArgs a =
      parse_arguments(demo_usage(), {dir.path().string(), "--config", (dir / "c.yaml").string(),
                                     "--subjects", "3"});
  EXPECT_EQ(a.integer("subjects"), 3); // the command line wins
  EXPECT_EQ(a.string("layout"), "hcp");
  EXPECT_EQ(a.integers("grid"), (std::vector<long long>{10, 11, 12}));
  EXPECT_EQ(a.strings("participant-label"), (std::vector<std::string>{"a", "b"}));

  std::ofstream(dir / "bad.yaml") << "subjects: 3\nsubjcts: 4\n";
  const std::string e =
      usage_error_of({dir.path().string(), "--config", (dir / "bad.yaml").string()});
  EXPECT_NE(e.find("bad.yaml:2:1: unknown key 'subjcts'"), std::string::npos) << e;
  std::ofstream(dir / "range.yaml") << "subjects: 30\n";
  EXPECT_NE(usage_error_of({dir.path().string(), "--config", (dir / "range.yaml").string()})
                .find("range.yaml:1:11"),
            std::string::npos);
}

TEST(Command, UsageJsonDescribesEveryArgument) {
  const auto j = usage_json(demo_usage());
  EXPECT_EQ(j["name"], "dcae-demo");
  bool found = false;
  for (const auto& a : j["arguments"]) {
    if (a["name"] == "subjects") {
      found = true;
      EXPECT_EQ(a["kind"], "integer");
      EXPECT_EQ(a["flag"], "--subjects");
      EXPECT_EQ(a["default"], 2);
      EXPECT_EQ(a["min"], 1.0);
      EXPECT_EQ(a["max"], 10.0);
    }
    if (a["name"] == "grid") {
      EXPECT_EQ(a["default"], (std::vector<long long>{40, 48, 36}));
    }
    if (a["name"] == "participant-label") {
      EXPECT_EQ(a["aliases"][0], "--participant_label");
    }
  }
  EXPECT_TRUE(found);
  std::size_t standard = 0;
  for (const auto& a : j["arguments"]) standard += a["standard"].get<bool>();
  EXPECT_EQ(standard, standard_arguments().size());
  const std::string help = help_text(demo_usage());
  EXPECT_NE(help.find("--subjects"), std::string::npos);
  EXPECT_NE(help.find("[1..10]"), std::string::npos);
  EXPECT_NE(help.find("(also --participant_label)"), std::string::npos);
}

namespace {
class Recorder final : public Command {
public:
  Usage usage() const override { return demo_usage(); }
  int run(const ParsedArgs& a) override {
    ran = true;
    if (a.integer("subjects") == 9) throw input_error("sub-09_bold.nii.gz: truncated");
    return 0;
  }
  bool ran = false;
};

} // namespace

TEST(Command, RunMainMapsOutcomesToExitCodes) {
  test::TempDir dir;
  const std::string d = dir.path().string();
  Recorder r;
  testing::internal::CaptureStdout();
  EXPECT_EQ(test::call(r, {"--help"}), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("Usage: dcae-demo bids_dir"),
            std::string::npos);
  testing::internal::CaptureStdout();
  EXPECT_EQ(test::call(r, {"--version"}), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("dcae-demo 0."), std::string::npos);
  testing::internal::CaptureStdout();
  EXPECT_EQ(test::call(r, {d, "--parse-only", "--subjects", "5"}), 0);
  EXPECT_NE(testing::internal::GetCapturedStdout().find("\"subjects\": 5"), std::string::npos);
  EXPECT_FALSE(r.ran);
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(r, {d, "--subjects", "11"}), 2);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("dcae-demo: [error] --subjects must be <= 10"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1); // one line
  testing::internal::CaptureStderr();
  EXPECT_EQ(test::call(r, {d, "--subjects", "9"}), 1);
  EXPECT_NE(testing::internal::GetCapturedStderr().find("sub-09_bold.nii.gz: truncated"),
            std::string::npos);
  EXPECT_EQ(test::call(r, {d, "-q"}), 0);
  EXPECT_TRUE(r.ran);
}

} // namespace dcae::app
