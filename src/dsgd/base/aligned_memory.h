#pragma once
// Aligned, uninitialised storage: the arrays of data sets and the large d-vectors of training.
// Large buffers sit on 2 MiB boundaries with transparent huge pages asked for, so a streaming
// pass over hundreds of MB, or random access to a model of millions of weights, takes few TLB
// misses.
#include <cstddef>
#include <memory>

namespace dsgd::detail {

struct FreeDeleter {
  void operator()(void* p) const noexcept;
};
// 64-byte aligned, uninitialised storage for n elements of T (its pages are faulted in by the
// threads that first write them: those that generate or read the rows, not the training workers).
template <typename T>
using AlignedArray = std::unique_ptr<T[], FreeDeleter>;
// `bytes` of storage, 64-byte aligned (2 MiB from 2 MiB on), with one spare vector past the end;
// throws dsgd::Error when the machine cannot give it. Free with std::free (FreeDeleter).
void* aligned_allocate(std::size_t bytes);
// Advice on the pages of [p, p + bytes):
// - kRelease: the whole pages inside it go back to the system, for memory read once and not
//   needed again (anonymous memory then reads as zeros, a file's mapping as the file);
// - for a file's mapping, the pages that hold any of it: read at random (kRandom: no
//   read-ahead), or needed soon (kWillNeed: read now, in the background).
enum class PageAdvice { kRelease, kRandom, kWillNeed };
void advise_pages(const void* p, std::size_t bytes, PageAdvice advice) noexcept;

}  // namespace dsgd::detail
