#include "dict/online_dictionary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include <dlfcn.h>

#include "core/error.h"
#include "core/threads.h"
#include "dict/lasso_lars.h"

namespace dcae::dict {
namespace {

/// Our threads parallelise the work, each with its own BLAS calls; OpenBLAS's own (OpenMP)
/// threads would spin between the small products and take the cores from them (measured:
/// 2 threads 4x slower than 1). OpenBLAS-OpenMP keeps its thread count per calling thread
/// (an OpenMP ICV), so every thread of ours sets it once. No-op for another BLAS.
void single_threaded_blas() {
  using SetThreads = void (*)(int);
  static const auto set =
      reinterpret_cast<SetThreads>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
  thread_local bool done = false;
  if (!done && set) set(1);
  done = true;
}

/// LARS workspace of the calling thread, for K atoms.
LassoLars& thread_solver(int k) {
  thread_local std::unique_ptr<LassoLars> solver;
  if (!solver || solver->n_atoms() != k) solver = std::make_unique<LassoLars>(k);
  return *solver;
}

/// Column blocks of `n` columns for `parallel_for`: the products below are split by columns
/// so that every thread runs its own single-threaded BLAS call.
constexpr Eigen::Index kBlock = 32;
std::int64_t blocks(Eigen::Index n) {
  return (n + kBlock - 1) / kBlock;
}
Eigen::Index block_size(std::int64_t b, Eigen::Index n) {
  return std::min<Eigen::Index>(kBlock, n - b * kBlock);
}

/// out = lhsᵀ · rhs, column blocks in parallel.
template <typename Rhs>
void parallel_transpose_product(const Eigen::MatrixXd& lhs, const Rhs& rhs, Eigen::MatrixXd& out) {
  out.resize(lhs.cols(), rhs.cols());
  parallel_for(0, blocks(rhs.cols()), [&](std::int64_t b) {
    single_threaded_blas();
    const Eigen::Index first = b * kBlock, n = block_size(b, rhs.cols());
    out.middleCols(first, n).noalias() =
        lhs.transpose() * rhs.middleCols(first, n).template cast<double>();
  });
}

/// codes(:, i) = LARS(G, dtx(:, i)) for every column, with Dᵀx computed per column block in
/// the same parallel loop.
template <typename X>
void encode_columns(const Eigen::MatrixXd& gram, const Eigen::MatrixXd& d, const X& x,
                    const LarsOptions& lars, Eigen::MatrixXd& codes) {
  const auto n = x.cols();
  const int k = static_cast<int>(gram.rows());
  codes.resize(k, n);
  parallel_for(0, blocks(n), [&](std::int64_t b) {
    single_threaded_blas();
    LassoLars& solver = thread_solver(k);
    const Eigen::Index first = b * kBlock, count = block_size(b, n);
    const Eigen::MatrixXd dtx = d.transpose() * x.middleCols(first, count).template cast<double>();
    for (Eigen::Index i = 0; i < count; ++i)
      solver.solve(gram, dtx.col(i), lars, codes.col(first + i));
  });
}

void check_options(const Eigen::Ref<const Eigen::MatrixXf>& x, const DictionaryOptions& o) {
  if (x.rows() == 0 || x.cols() == 0) throw usage_error("dictionary learning: no signals");
  if (o.n_atoms < 1)
    throw usage_error("dictionary learning: the number of atoms must be at least 1");
  if (o.n_atoms > x.cols())
    throw usage_error("dictionary learning: " + std::to_string(o.n_atoms) + " atoms but only " +
                      std::to_string(x.cols()) + " signals");
  if (!(o.lambda >= 0.0)) throw usage_error("dictionary learning: lambda must be non-negative");
  if (o.batch_size < 1) throw usage_error("dictionary learning: the batch size must be at least 1");
  if (o.iterations <= 0 && !(o.passes > 0.0))
    throw usage_error("dictionary learning: give a positive number of passes or iterations");
  if (!x.allFinite()) throw input_error("dictionary learning: the signals contain NaN or Inf");
}

} // namespace

void centre_and_normalise_columns(Eigen::Ref<Eigen::MatrixXf> x) {
  for (Eigen::Index j = 0; j < x.cols(); ++j) {
    auto col = x.col(j);
    const double mean = col.cast<double>().mean();
    col.array() -= static_cast<float>(mean);
    const double norm = col.cast<double>().norm();
    if (norm > 1e-12)
      col /= static_cast<float>(norm);
    else
      col.setZero();
  }
}

LearnedDictionary learn_dictionary(const Eigen::Ref<const Eigen::MatrixXf>& x,
                                   const DictionaryOptions& o, const DictionaryProgress& progress) {
  check_options(x, o);
  single_threaded_blas();
  const auto start = std::chrono::steady_clock::now();
  const Eigen::Index m = x.rows(), n = x.cols();
  const int k = o.n_atoms;
  const Eigen::Index eta = std::min<Eigen::Index>(o.batch_size, n);
  const std::int64_t per_pass = (n + eta - 1) / eta;
  const std::int64_t planned =
      o.iterations > 0
          ? o.iterations
          : std::max<std::int64_t>(
                1, static_cast<std::int64_t>(std::ceil(o.passes * static_cast<double>(per_pass))));

  std::mt19937_64 rng(o.seed);
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::shuffle(order.begin(), order.end(), rng);

  // Initial atoms: K distinct random signals with non-zero norm.
  Eigen::MatrixXd d(m, k);
  {
    int filled = 0;
    for (Eigen::Index i = 0; i < n && filled < k; ++i) {
      const Eigen::VectorXd v = x.col(order[static_cast<std::size_t>(i)]).cast<double>();
      const double norm = v.norm();
      if (norm <= 1e-12) continue;
      d.col(filled++) = v / norm;
    }
    if (filled < k)
      throw input_error("dictionary learning: only " + std::to_string(filled) +
                        " non-zero signals for " + std::to_string(k) + " atoms");
  }
  std::shuffle(order.begin(), order.end(), rng);

  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k, k), b = Eigen::MatrixXd::Zero(m, k);
  Eigen::MatrixXd xb(m, eta), gram, codes;
  LarsOptions lars{o.lambda, o.positive, 0};
  std::uniform_int_distribution<Eigen::Index> pick(0, eta - 1);
  LearnedDictionary out;

  std::int64_t cursor = 0;
  for (std::int64_t t = 0; t < planned; ++t) {
    if (o.time_budget_s > 0.0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >
            o.time_budget_s)
      break;
    // Next mini-batch (a fresh permutation after each pass).
    for (Eigen::Index i = 0; i < eta; ++i) {
      if (cursor == n) {
        std::shuffle(order.begin(), order.end(), rng);
        cursor = 0;
      }
      xb.col(i) = x.col(order[static_cast<std::size_t>(cursor++)]).cast<double>();
    }
    parallel_transpose_product(d, d, gram);
    encode_columns(gram, d, xb, lars, codes);

    // Sufficient statistics with the mini-batch forgetting factor (Mairal et al. 2010, 3.4.3).
    const double e = static_cast<double>(eta);
    const double theta =
        t < eta - 1 ? static_cast<double>(t + 1) * e : e * e + static_cast<double>(t) + 1.0 - e;
    const double beta = (theta + 1.0 - e) / (theta + 1.0);
    const Eigen::MatrixXd scaled = codes.transpose() / e; // η × K
    parallel_for(0, blocks(k), [&](std::int64_t blk) {
      single_threaded_blas();
      const Eigen::Index first = blk * kBlock, cols = block_size(blk, k);
      a.middleCols(first, cols) *= beta;
      a.middleCols(first, cols).noalias() += codes * scaled.middleCols(first, cols);
      b.middleCols(first, cols) *= beta;
      b.middleCols(first, cols).noalias() += xb * scaled.middleCols(first, cols);
    });

    // One block-coordinate pass: d_j ← Π(d_j + (b_j − D a_j) / A_jj), ‖d_j‖ ≤ 1.
    for (int j = 0; j < k; ++j) {
      if (a(j, j) < 1e-6) { // no signal uses atom j: restart it from a random signal
        Eigen::VectorXd v = xb.col(pick(rng));
        const double norm = v.norm();
        if (norm > 1e-12) d.col(j) = v / norm;
        ++out.replaced_atoms;
        continue;
      }
      Eigen::VectorXd u = d.col(j) + (b.col(j) - d * a.col(j)) / a(j, j);
      d.col(j) = u / std::max(u.norm(), 1.0);
    }
    out.iterations = t + 1;
    if (progress) progress(t + 1, planned);
  }

  for (int j = 0; j < k; ++j) {
    const double norm = d.col(j).norm();
    if (norm > 1e-12) d.col(j) /= norm;
  }
  out.atoms = d.cast<float>();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

Eigen::MatrixXf sparse_encode(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                              const Eigen::Ref<const Eigen::MatrixXf>& x, double lambda,
                              bool positive) {
  if (atoms.rows() != x.rows())
    throw usage_error("sparse coding: atoms of length " + std::to_string(atoms.rows()) +
                      " but signals of length " + std::to_string(x.rows()));
  single_threaded_blas();
  const Eigen::MatrixXd d = atoms.cast<double>();
  Eigen::MatrixXd gram;
  parallel_transpose_product(d, d, gram);
  const LarsOptions lars{lambda, positive, 0};
  Eigen::MatrixXf codes(atoms.cols(), x.cols());
  const Eigen::Index block = 4096;
  Eigen::MatrixXd c;
  for (Eigen::Index first = 0; first < x.cols(); first += block) {
    const Eigen::Index count = std::min(block, x.cols() - first);
    encode_columns(gram, d, x.middleCols(first, count), lars, c);
    codes.middleCols(first, count) = c.cast<float>();
  }
  return codes;
}

double dictionary_objective(const Eigen::Ref<const Eigen::MatrixXf>& x,
                            const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                            const Eigen::Ref<const Eigen::MatrixXf>& codes, double lambda) {
  const Eigen::MatrixXd d = atoms.cast<double>();
  double fit = 0.0;
  const Eigen::Index block = 4096;
  for (Eigen::Index first = 0; first < x.cols(); first += block) {
    const Eigen::Index count = std::min(block, x.cols() - first);
    const Eigen::MatrixXd r = x.middleCols(first, count).cast<double>() -
                              d * codes.middleCols(first, count).cast<double>();
    fit += r.squaredNorm();
  }
  return 0.5 * fit + lambda * codes.cast<double>().cwiseAbs().sum();
}

} // namespace dcae::dict
