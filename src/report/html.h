#pragma once
/// \file html.h
/// Self-contained HTML pages: inline CSS, figures as inline SVG or PNG data URIs, tables and
/// notes. No scripts and no external resources; the output is also well-formed XML.

#include <string>
#include <string_view>
#include <vector>

namespace dcae::report {

struct Raster;

/// A table: header cells and rows of text cells (escaped on output).
struct Table {
  std::string caption;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  /// Columns whose cells are numbers (right-aligned).
  std::vector<bool> numeric;
};

/// A report page, built in order. Not thread-safe.
class HtmlPage {
public:
  explicit HtmlPage(std::string title);

  /// A section heading (h2) with an anchor `id` (letters, digits, '-', '_'), listed in the
  /// page's table of contents.
  void section(const std::string& id, const std::string& title);
  /// A sub-heading (h3).
  void subheading(const std::string& title);
  /// A paragraph of text.
  void paragraph(const std::string& text);
  /// A highlighted note, e.g. in place of a figure whose input is missing.
  void note(const std::string& text);
  /// A figure from an SVG element (as render_svg makes it) with a caption.
  void figure_svg(const std::string& svg, const std::string& caption);
  /// A figure from a raster, embedded as a PNG data URI, with a caption and alt text.
  void figure_png(const Raster& image, const std::string& caption, const std::string& alt);
  void table(const Table& t);
  /// A relative link to another page of the report (e.g. "sub-01.html").
  void link(const std::string& href, const std::string& text);

  /// The whole document.
  std::string render() const;

private:
  std::string title_;
  std::vector<std::pair<std::string, std::string>> toc_;
  std::string body_;
};

} // namespace dcae::report
