#include <gtest/gtest.h>

#include "core/error.h"
#include "report/html.h"
#include "report/png.h"
#include "report/svg.h"
#include "report_test_util.h"
#include "test_data.h"

namespace dcae::report {
namespace {

HtmlPage sample_page() {
  HtmlPage page("sub-01 <report>");
  page.section("motion", "Head motion");
  LinePlot p;
  p.series.push_back({"fd", {0, 1, 2}, {0, 0.2, 0.1}});
  page.figure_svg(render_svg(p), "FD & friends");
  page.section("mask", "Mask");
  page.figure_png(Raster(4, 3, 3, 128), "mosaic", "a grey mosaic");
  page.note("no decomposition yet");
  Table t;
  t.header = {"run", "mean FD (mm)"};
  t.numeric = {false, true};
  t.rows = {{"sub-01_task-motor", "0.1234"}};
  page.table(t);
  page.link("group.html", "group report");
  return page;
}

TEST(Html, SelfContained) {
  const std::string html = sample_page().render();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* banned : {"<script", "http:", "https:", "://", "@import", "<link", "<iframe"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << "found " << banned;
  }
  EXPECT_NE(html.find("src=\"data:image/png;base64,"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#motion\">Head motion</a>"), std::string::npos);
  EXPECT_NE(html.find("<title>sub-01 &lt;report&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.1234</td>"), std::string::npos);
  EXPECT_NE(html.find("FD &amp; friends"), std::string::npos);
}

TEST(Html, RefusesExternalLinksAndBadIds) {
  HtmlPage page("x");
  test::expect_error([&] { page.link("https://example.org/x.js", "x"); }, ExitCode::kRuntime,
                     {"within the report"});
  test::expect_error([&] { page.section("a b", "x"); }, ExitCode::kRuntime, {"section id"});
}

TEST(Html, IsWellFormedXml) {
  if (!test_util::have_python()) GTEST_SKIP() << "/usr/bin/python3 not available";
  test::TempDir dir;
  test_util::write_text(dir / "page.html", sample_page().render());
  const std::string script = std::string(test_util::kXmlCheck) + R"(
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'html'
assert [h.text for h in root.iter('h2')] == ['Head motion', 'Mask']
assert len(root.findall('.//figure')) == 2 and len(root.findall('.//svg')) == 1 and len(root.findall('.//img')) == 1
assert [td.text for td in root.iter('td')] == ['sub-01_task-motor', '0.1234']
)";
  EXPECT_EQ(test_util::run_python(dir.path(), script, (dir / "page.html").string()), 0);
}

} // namespace
} // namespace dcae::report
