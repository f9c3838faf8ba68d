#pragma once
/// \file citation.h
/// The methods boilerplate of a dcae-bids-app job, as fMRIPrep writes it: a paragraph a user
/// can paste into a paper, with the parameters the job used and the references it cites
/// (logs/CITATION.md, logs/CITATION.bib).

#include <string>

namespace dcae::app {

/// What the text describes: the options of the job.
struct MethodsParameters {
  std::string version;
  double fwhm_mm = 5, highpass_s = 100;
  bool slice_timing = true;
  std::string motion_regressors = "6";
  bool tissue_regressors = false;
  std::string template_space; ///< empty: native space only
  long long atoms = 100;
  std::string lambda = "3/sqrt(T)";
  long long workers = 0;
  bool held_out = false; ///< --train-subjects
};

/// The boilerplate in Markdown, citing the entries of citation_bibtex() as [@key].
std::string methods_markdown(const MethodsParameters& p);

/// The references of methods_markdown() in BibTeX.
const char* citation_bibtex();

} // namespace dcae::app
