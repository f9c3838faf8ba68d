#include "dict/decomposition.h"

#include <cmath>

#include <Eigen/Cholesky>

#include "core/error.h"

namespace dcae::dict {

Eigen::MatrixXf least_squares_atoms(const Eigen::Ref<const Eigen::MatrixXf>& signals,
                                    const Eigen::Ref<const Eigen::MatrixXf>& codes) {
  if (signals.cols() != codes.cols())
    throw usage_error("least-squares atoms: " + std::to_string(signals.cols()) + " signals but " +
                      std::to_string(codes.cols()) + " codes");
  const Eigen::MatrixXd c = codes.cast<double>();
  Eigen::MatrixXd cct = c * c.transpose();
  const double ridge = 1e-8 * std::max(1.0, cct.diagonal().maxCoeff());
  cct.diagonal().array() += ridge;
  const Eigen::MatrixXd xct = signals.cast<double>() * c.transpose(); // T × K
  // M (CCᵀ) = X Cᵀ  ⇔  (CCᵀ) Mᵀ = (X Cᵀ)ᵀ
  const Eigen::MatrixXd mt = cct.ldlt().solve(xct.transpose());
  return mt.transpose().cast<float>();
}

Eigen::MatrixXf correlation_maps(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                 const Eigen::Ref<const Eigen::MatrixXf>& signals) {
  if (atoms.rows() != signals.rows())
    throw usage_error("correlation maps: atoms of length " + std::to_string(atoms.rows()) +
                      " but signals of length " + std::to_string(signals.rows()));
  Eigen::MatrixXd a = atoms.cast<double>();
  a.rowwise() -= a.colwise().mean();
  const Eigen::RowVectorXd norms = a.colwise().norm();
  // An atom no signal uses comes out of least squares as zeros, or as rounding noise at most.
  const double floor = 1e-6 * (norms.size() > 0 ? norms.maxCoeff() : 0.0);
  for (Eigen::Index k = 0; k < a.cols(); ++k) {
    if (norms[k] > floor && std::isfinite(norms[k])) {
      a.col(k) /= norms[k];
    } else {
      a.col(k).setZero();
    }
  }
  // In float: the signals of an HCP run (T 284, 226,012 voxels) are 257 MB as they are, and
  // would be twice that as doubles.
  return a.cast<float>().transpose() * signals;
}

double pearson(const Eigen::Ref<const Eigen::VectorXd>& a,
               const Eigen::Ref<const Eigen::VectorXd>& b) {
  if (a.size() != b.size() || a.size() < 2)
    throw usage_error("pearson: series of different or too short length");
  const Eigen::VectorXd da = a.array() - a.mean(), db = b.array() - b.mean();
  const double den = da.norm() * db.norm();
  return den > 0.0 ? da.dot(db) / den : 0.0;
}

Eigen::MatrixXd atom_correlations(const Eigen::Ref<const Eigen::MatrixXf>& atoms,
                                  const std::vector<std::vector<double>>& regressors) {
  Eigen::MatrixXd r(atoms.cols(), static_cast<Eigen::Index>(regressors.size()));
  for (std::size_t q = 0; q < regressors.size(); ++q) {
    if (static_cast<Eigen::Index>(regressors[q].size()) != atoms.rows())
      throw input_error("scoring: the design has " + std::to_string(regressors[q].size()) +
                        " volumes but the atoms have " + std::to_string(atoms.rows()));
    const Eigen::Map<const Eigen::VectorXd> reg(regressors[q].data(),
                                                static_cast<Eigen::Index>(regressors[q].size()));
    for (Eigen::Index k = 0; k < atoms.cols(); ++k)
      r(k, static_cast<Eigen::Index>(q)) = pearson(atoms.col(k).cast<double>(), reg);
  }
  return r;
}

} // namespace dcae::dict
