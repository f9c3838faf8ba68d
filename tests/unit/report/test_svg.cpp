#include <cmath>
#include <regex>

#include <gtest/gtest.h>

#include "report/svg.h"
#include "report_test_util.h"
#include "test_data.h"

namespace dcae::report {
namespace {

std::vector<std::string> polylines(const std::string& svg) {
  std::vector<std::string> out;
  const std::regex re("<polyline[^>]*points=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

TEST(Svg, FormatsNumbersCompactly) {
  EXPECT_EQ(format_number(0.58849, 4), "0.5885");
  EXPECT_EQ(format_number(2.0), "2");
  EXPECT_EQ(format_number(-1.25), "-1.25");
  EXPECT_EQ(format_number(1234.5678), "1235");
  EXPECT_EQ(format_number(0.0), "0");
  EXPECT_EQ(format_number(std::nan("")), "n/a");
  EXPECT_EQ(format_number(1.5e-7, 3), "1.5e-07");
}

TEST(Svg, EscapesMarkup) {
  EXPECT_EQ(xml_escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
}

TEST(Svg, NiceTicksCoverTheRange) {
  const auto t = nice_ticks(0.23, 1.37, 5);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front(), 0.23);
  EXPECT_GE(t.back(), 1.37);
  EXPECT_DOUBLE_EQ(t[1] - t[0], 0.2);
  const auto flat = nice_ticks(3, 3);
  EXPECT_LT(flat.front(), 3);
  EXPECT_GT(flat.back(), 3);
}

TEST(Svg, AKnownPointLandsAtItsPixel) {
  LinePlot p;
  p.width = 400;
  p.height = 200;
  p.x_range = {0, 10};
  p.y_range = {0, 100};
  p.series.push_back({"s", {0, 5, 10}, {0, 50, 100}});
  const PlotFrame f = plot_frame(p);
  // Margins left 64, right 16, top 28, bottom 40: plot area x 64..384, y 28..160.
  EXPECT_DOUBLE_EQ(f.px(5), 224.0);
  EXPECT_DOUBLE_EQ(f.py(50), 94.0);
  EXPECT_DOUBLE_EQ(f.px(0), 64.0);
  EXPECT_DOUBLE_EQ(f.py(0), 160.0);
  const auto lines = polylines(render_svg(p));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "64.0,160.0 224.0,94.0 384.0,28.0");
}

TEST(Svg, DataRangeRoundsOutToTicksAndCanIncludeZero) {
  LinePlot p;
  p.series.push_back({"s", {0, 1, 2}, {0.3, 0.9, 0.45}});
  PlotFrame f = plot_frame(p);
  EXPECT_LE(f.y_min, 0.3);
  EXPECT_GT(f.y_min, 0.0);
  EXPECT_GE(f.y_max, 0.9);
  p.y_include_zero = true;
  f = plot_frame(p);
  EXPECT_DOUBLE_EQ(f.y_min, 0.0);
}

TEST(Svg, NanBreaksTheLine) {
  LinePlot p;
  p.series.push_back({"fd", {0, 1, 2, 3, 4}, {std::nan(""), 1, 2, std::nan(""), 3}});
  const auto lines = polylines(render_svg(p));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(std::count(lines[0].begin(), lines[0].end(), ','), 2);
  EXPECT_EQ(std::count(lines[1].begin(), lines[1].end(), ','), 1);
}

TEST(Svg, LongSeriesKeepTheirExtremes) {
  LinePlot p;
  p.width = 200;
  Series s{"loss", {}, {}};
  for (int i = 0; i < 20000; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == 12345 ? 50.0 : 1.0);
  }
  p.series.push_back(s);
  const std::string svg = render_svg(p);
  const auto lines = polylines(svg);
  ASSERT_EQ(lines.size(), 1u);
  const auto points = std::count(lines[0].begin(), lines[0].end(), ',');
  EXPECT_LT(points, 1000);
  const PlotFrame f = plot_frame(p);
  char peak[32];
  std::snprintf(peak, sizeof peak, ",%.1f", f.py(50.0));
  EXPECT_NE(lines[0].find(peak), std::string::npos) << "the spike at 50 was dropped";
}

TEST(Svg, IsWellFormedXml) {
  if (!test_util::have_python()) GTEST_SKIP() << "/usr/bin/python3 not available";
  test::TempDir dir;
  LinePlot p;
  p.title = "Motion <mm> & \"rotation\"";
  p.x_label = "time (s)";
  p.y_label = "mm";
  p.series.push_back({"trans_x", {0, 1, 2}, {0.1, -0.2, 0.3}});
  p.series.push_back({"rot_x", {0, 1, 2}, {0.0, 0.5, 0.1}, "#d62728", true});
  test_util::write_text(dir / "plot.svg", render_svg(p));
  const std::string script = std::string(test_util::kXmlCheck) + R"(
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'svg', root.tag
assert len(root.findall('.//polyline')) == 2
assert root.find('title').text == 'Motion <mm> & "rotation"'
legend = [t.text for t in root.iter('text') if t.text in ('trans_x', 'rot_x')]
assert legend == ['trans_x', 'rot_x'], legend
)";
  EXPECT_EQ(test_util::run_python(dir.path(), script, (dir / "plot.svg").string()), 0);
  // The check can fail: a broken document is refused.
  test_util::write_text(dir / "bad.svg", "<svg><g></svg>");
  EXPECT_NE(test_util::run_python(dir.path(), test_util::kXmlCheck, (dir / "bad.svg").string()), 0);
}

} // namespace
} // namespace dcae::report
