#pragma once
/// \file defaults.h
/// Dictionary-learning defaults shared by dcae-dictlearn and the BIDS-App (no Eigen here, so
/// commands that only pass options on can include it).

namespace dcae::dict {

/// The number of atoms K unless told otherwise: one default for raw signals and features.
inline constexpr int kDefaultAtoms = 100;

} // namespace dcae::dict
