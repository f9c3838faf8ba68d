#include "app/citation.h"

#include <cstdio>

namespace dcae::app {
namespace {

std::string number(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

} // namespace

std::string methods_markdown(const MethodsParameters& p) {
  std::string s = "# Methods\n\n";
  s += "*This text was written by dcae " + p.version +
       " from the options of the job, so that it describes what was done; it may be copied "
       "into a manuscript unchanged. It is released under the CC0 licence.*\n\n";
  s += "## Preprocessing\n\n";
  s += "Each BOLD run was preprocessed with dcae " + p.version +
       " [@dcae], which follows FSL FEAT's steps [@fsl] with ITK [@itk]. The data were "
       "organised as BIDS [@bids] and processed as a BIDS-App [@bidsapps]. Head motion was "
       "estimated by rigid registration of every volume to the middle volume and corrected "
       "with B-spline interpolation; framewise displacement was computed as in [@power2012]. ";
  s += p.slice_timing
           ? "Slices were shifted to the middle of each repetition time by sinc interpolation "
             "when the sidecar gave SliceTiming. "
           : "Slice-timing correction was not applied. ";
  s += "A brain mask was estimated from the mean image (FEAT's threshold at 10% of the robust "
       "range, largest component, holes filled, dilated once). The corrected series were ";
  s += p.fwhm_mm > 0 ? "smoothed within the mask with a Gaussian kernel of " + number(p.fwhm_mm) +
                           " mm FWHM, "
                     : "not smoothed, ";
  s += "scaled to a grand-mean median of 10000";
  s += p.highpass_s > 0 ? " and high-pass filtered with a cutoff of " + number(p.highpass_s) +
                              " s (FSL's -bptf). "
                        : " and not high-pass filtered. ";
  if (p.motion_regressors != "0" || p.tissue_regressors)
    s += "The " +
         (p.motion_regressors != "0" ? p.motion_regressors + " motion regressors" : std::string()) +
         (p.motion_regressors != "0" && p.tissue_regressors ? " and the " : "") +
         (p.tissue_regressors ? "mean white-matter and CSF signals" : "") +
         ", high-pass filtered as the data, were regressed out of every voxel series, which was "
         "then z-scored. ";
  if (!p.template_space.empty())
    s += "The mean image was registered to the " + p.template_space +
         " template (12-parameter affine, Mattes mutual information) and the runs resampled "
         "into its grid for the group analysis. ";
  s += "Confounds were written as fMRIPrep names them: the motion parameters, framewise "
       "displacement, DVARS, the global signal, white-matter and CSF signals from an intensity "
       "split of the mean EPI, and the discrete cosine basis of the high-pass.\n\n";
  s += "## Network discovery\n\n";
  s += "A one-dimensional deep convolutional autoencoder [@makkie2019] was trained on the "
       "voxel time series" +
       std::string(p.held_out ? " of the training participants (the networks were then "
                                "found and scored in the held-out participants)"
                              : "") +
       " with Adagrad [@adagrad], minimising the mean squared reconstruction error with an "
       "L1 penalty on the feature maps";
  s += p.workers > 0
           ? ", by asynchronous Downpour SGD [@dean2012] with " + std::to_string(p.workers) +
                 " workers and a sharded parameter server after a single-worker "
                 "warm-up. "
           : ". ";
  s += "Online dictionary learning [@mairal2010] with K = " + std::to_string(p.atoms) +
       " atoms and an l1 weight λ = " + p.lambda +
       " (LARS-Lasso codes [@lars]) was applied to the raw voxel series and to the "
       "autoencoder's features alike. Each run's atom time courses were obtained by least "
       "squares on that run's voxels and compared with the run's own task design (the events "
       "convolved with a double-gamma HRF, sampled at the times the data represent and "
       "high-pass filtered as the data); atoms were assigned to conditions one to one "
       "(Hungarian assignment on |r|), with a chance level from 200 circular shifts of the "
       "design (the 95th percentile of the best |r|).\n\n";
  s += "## References\n\nSee CITATION.bib beside this file.\n";
  return s;
}

const char* citation_bibtex() {
  return R"(@misc{dcae,
  title = {dcae: functional networks of task fMRI with a distributed deep convolutional autoencoder},
  note = {BIDS-App}
}
@article{makkie2019,
  author = {Makkie, Milad and Huang, Heng and Zhao, Yu and Vasilakos, Athanasios V. and Liu, Tianming},
  title = {Fast and scalable distributed deep convolutional autoencoder for {fMRI} big data analytics},
  journal = {Neurocomputing},
  volume = {325},
  pages = {20--30},
  year = {2019}
}
@article{mairal2010,
  author = {Mairal, Julien and Bach, Francis and Ponce, Jean and Sapiro, Guillermo},
  title = {Online learning for matrix factorization and sparse coding},
  journal = {Journal of Machine Learning Research},
  volume = {11},
  pages = {19--60},
  year = {2010}
}
@article{lars,
  author = {Efron, Bradley and Hastie, Trevor and Johnstone, Iain and Tibshirani, Robert},
  title = {Least angle regression},
  journal = {The Annals of Statistics},
  volume = {32},
  number = {2},
  pages = {407--499},
  year = {2004}
}
@inproceedings{dean2012,
  author = {Dean, Jeffrey and Corrado, Greg and Monga, Rajat and Chen, Kai and Devin, Matthieu and Le, Quoc V. and Mao, Mark Z. and Ranzato, Marc'Aurelio and Senior, Andrew and Tucker, Paul and Yang, Ke and Ng, Andrew Y.},
  title = {Large scale distributed deep networks},
  booktitle = {Advances in Neural Information Processing Systems 25},
  year = {2012}
}
@article{adagrad,
  author = {Duchi, John and Hazan, Elad and Singer, Yoram},
  title = {Adaptive subgradient methods for online learning and stochastic optimization},
  journal = {Journal of Machine Learning Research},
  volume = {12},
  pages = {2121--2159},
  year = {2011}
}
@article{fsl,
  author = {Jenkinson, Mark and Beckmann, Christian F. and Behrens, Timothy E. J. and Woolrich, Mark W. and Smith, Stephen M.},
  title = {{FSL}},
  journal = {NeuroImage},
  volume = {62},
  number = {2},
  pages = {782--790},
  year = {2012}
}
@article{itk,
  author = {McCormick, Matthew and Liu, Xiaoxiao and Jomier, Julien and Marion, Charles and Ibanez, Luis},
  title = {{ITK}: enabling reproducible research and open science},
  journal = {Frontiers in Neuroinformatics},
  volume = {8},
  pages = {13},
  year = {2014}
}
@article{power2012,
  author = {Power, Jonathan D. and Barnes, Kelly A. and Snyder, Abraham Z. and Schlaggar, Bradley L. and Petersen, Steven E.},
  title = {Spurious but systematic correlations in functional connectivity {MRI} networks arise from subject motion},
  journal = {NeuroImage},
  volume = {59},
  number = {3},
  pages = {2142--2154},
  year = {2012}
}
@article{bids,
  author = {Gorgolewski, Krzysztof J. and others},
  title = {The brain imaging data structure, a format for organizing and describing outputs of neuroimaging experiments},
  journal = {Scientific Data},
  volume = {3},
  pages = {160044},
  year = {2016}
}
@article{bidsapps,
  author = {Gorgolewski, Krzysztof J. and others},
  title = {{BIDS} apps: Improving ease of use, accessibility, and reproducibility of neuroimaging data analysis methods},
  journal = {PLoS Computational Biology},
  volume = {13},
  number = {3},
  pages = {e1005209},
  year = {2017}
}
)";
}

} // namespace dcae::app
