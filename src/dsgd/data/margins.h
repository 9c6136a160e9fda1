#pragma once
// The margins x . w of dense rows, for the synthetic labels: each row's products added in column
// order as one chain (0 + x_0 w_0 + x_1 w_1 + ...), in double, the rows side by side on SIMD
// lanes (Highway, dispatched at run time). The file is compiled without contracting a product
// and a sum into a fused multiply-add, so every instruction set gives the bits of that scalar
// chain: on x86-64, whose baseline has no FMA, the labels of every generated set stay as they
// were before the margins moved here (where FMA is baseline, as on aarch64, the old loop may have
// been fused).
#include <cstddef>

namespace dsgd {

// margin[i] = x[i*d .. i*d + d) . w for rows i of [0, rows).
void row_margins(const double* x, std::size_t rows, std::size_t d, const double* w, double* margin);
void row_margins(const float* x, std::size_t rows, std::size_t d, const double* w, double* margin);

}  // namespace dsgd
