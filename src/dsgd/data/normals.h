#pragma once
// Standard normal numbers in bulk, for the dense synthetic features: Box-Muller over pairs of
// counter-based SplitMix64 uniforms, on SIMD lanes (Highway, dispatched to the best instruction
// set at run time). Element 2m takes the cosine and element 2m+1 the sine of pair m, whose
// uniforms are CounterRng(key).uniform_open0(2m) and .uniform(2m+1), exactly as
// CounterRng::normal; the logarithm, sine and cosine are Highway's (within 4 ULP of the C
// library's), so the values may differ from CounterRng::normal in their last bits. Any range of
// elements equals the same elements of a longer range, whatever its alignment and the lane count.
// x86 machines with AVX2 or AVX-512 give the same bits (fused multiply-adds in both); older
// instruction sets (SSE4 and below) differ in the last bits of about 7% of the values, so hosts
// that generate the shards of one MPI job should all have AVX2.
#include <cstddef>
#include <cstdint>

namespace dsgd {

// Writes normals [first, first + count) of the stream keyed `key` to out[0 .. count).
void normals(std::uint64_t key, std::uint64_t first, std::size_t count, double* out);
// The same normals rounded to float (to nearest, as static_cast<float> of the doubles).
void normals(std::uint64_t key, std::uint64_t first, std::size_t count, float* out);

}  // namespace dsgd
