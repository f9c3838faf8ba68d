#pragma once
// Helpers of the report tests: run a Python script with Debian's interpreter on files.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/wait.h>

namespace dcae::report::test_util {

/// True when /usr/bin/python3 is there.
inline bool have_python() {
  return std::system("/usr/bin/python3 -c 'import zlib, xml.etree.ElementTree' >/dev/null 2>&1") ==
         0;
}

/// Writes `script` to `dir`/check.py and runs it with the arguments; returns its exit status.
inline int run_python(const std::filesystem::path& dir, const std::string& script,
                      const std::string& args) {
  const auto file = dir / "check.py";
  std::ofstream(file) << script;
  const std::string cmd = "/usr/bin/python3 '" + file.string() + "' " + args;
  const int status = std::system(cmd.c_str());
  return status == -1 ? -1 : WEXITSTATUS(status);
}

/// A script that parses each argument as XML and exits 1 on the first that is not well-formed.
inline const char* kXmlCheck = R"(import sys, xml.etree.ElementTree as ET
for f in sys.argv[1:]:
    try:
        ET.parse(f)
    except ET.ParseError as e:
        print(f, e)
        sys.exit(1)
)";

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

} // namespace dcae::report::test_util
