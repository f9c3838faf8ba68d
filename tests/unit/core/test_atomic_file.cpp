#include <fstream>

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_data.h"

namespace fs = std::filesystem;

namespace dcae {

TEST(AtomicOutput, TempKeepsExtensionAndFolderUntilCommit) {
  test::TempDir dir;
  const fs::path target = dir / "sub-01_bold.nii.gz";
  AtomicOutput out(target);
  EXPECT_EQ(out.temp_path().parent_path(), dir.path());
  EXPECT_TRUE(out.temp_path().string().size() > 7 &&
              out.temp_path().string().substr(out.temp_path().string().size() - 7) == ".nii.gz");
  std::ofstream(out.temp_path()) << "data";
  EXPECT_FALSE(fs::exists(target));
  out.commit();
  EXPECT_TRUE(fs::exists(target));
  EXPECT_FALSE(fs::exists(out.temp_path()));
}

TEST(AtomicOutput, UncommittedOutputLeavesNothing) {
  test::TempDir dir;
  fs::path temp;
  {
    AtomicOutput out(dir / "a" / "b.tsv");
    temp = out.temp_path();
    std::ofstream(temp) << "half";
    EXPECT_TRUE(fs::exists(temp));
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(dir / "a" / "b.tsv"));
}

TEST(AtomicOutput, WriteAndReadFileRoundTrip) {
  test::TempDir dir;
  write_file_atomic(dir / "x" / "y.txt", "hello\n");
  EXPECT_EQ(read_file(dir / "x" / "y.txt"), "hello\n");
  // Replacing an existing file is atomic too.
  write_file_atomic(dir / "x" / "y.txt", "again\n");
  EXPECT_EQ(read_file(dir / "x" / "y.txt"), "again\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "x"), fs::directory_iterator()), 1);
}

TEST(AtomicOutput, MissingFileIsAnInputErrorNamingIt) {
  try {
    read_file("/nonexistent/dir/file.tsv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/file.tsv"), std::string::npos);
  }
}

} // namespace dcae
