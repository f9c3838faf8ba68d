#pragma once
/// \file online_dictionary.h
/// Online dictionary learning (Mairal, Bach, Ponce & Sapiro, JMLR 2010; the algorithm of
/// SPAMS `trainDL`): signals are the columns of X (m × n); atoms are the columns of D (m × K),
/// constrained to ‖d‖ ≤ 1 and unit-norm on output; codes by LARS-Lasso on mini-batches; the
/// sufficient statistics A = Σ ααᵀ and B = Σ xαᵀ with the paper's mini-batch forgetting
/// factor; one block-coordinate pass over the atoms per mini-batch; atoms that no signal uses
/// (A_jj ≈ 0) are replaced by a random signal of the batch. Deterministic for a given seed
/// whatever the number of threads.

#include <cstdint>
#include <functional>

#include <Eigen/Core>

namespace dcae::dict {

struct DictionaryOptions {
  int n_atoms = 400;           ///< K
  double lambda = 0.15;        ///< ℓ1 weight of ½‖x − Dα‖² + λ‖α‖₁
  int batch_size = 256;        ///< signals per mini-batch (η)
  double passes = 1.0;         ///< passes over the data (used when iterations = 0)
  std::int64_t iterations = 0; ///< mini-batches; 0: from `passes`
  double time_budget_s = 0.0;  ///< stop after this long (0: no budget)
  std::uint64_t seed = 1;
  bool positive = false; ///< non-negative codes
};

/// Result of learning: the dictionary and a record of the run.
struct LearnedDictionary {
  Eigen::MatrixXf atoms;           ///< m × K, unit-norm columns
  std::int64_t iterations = 0;     ///< mini-batches processed
  std::int64_t replaced_atoms = 0; ///< unused atoms replaced during learning
  double seconds = 0.0;
};

/// Progress callback: (iterations done, iterations planned).
using DictionaryProgress = std::function<void(std::int64_t, std::int64_t)>;

/// Learns a dictionary of `options.n_atoms` atoms from the columns of `x`. Throws usage_error
/// on bad options (K < 1, K > n, λ < 0, empty data).
LearnedDictionary learn_dictionary(const Eigen::Ref<const Eigen::MatrixXf>& x,
                                   const DictionaryOptions& options,
                                   const DictionaryProgress& progress = {});

/// Sparse codes (K × n) of every column of `x` on `atoms` by LARS-Lasso, in parallel.
Eigen::MatrixXf sparse_encode(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                              const Eigen::Ref<const Eigen::MatrixXf>& x, double lambda,
                              bool positive = false);

/// ½‖X − DA‖²_F + λ‖A‖₁ (summed over signals, not averaged).
double dictionary_objective(const Eigen::Ref<const Eigen::MatrixXf>& x,
                            const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                            const Eigen::Ref<const Eigen::MatrixXf>& codes, double lambda);

/// Centres every column to zero mean and scales it to unit ℓ2 norm (constant columns become
/// zero), as the HAFNI papers prepare fMRI signals.
void centre_and_normalise_columns(Eigen::Ref<Eigen::MatrixXf> x);

} // namespace dcae::dict
