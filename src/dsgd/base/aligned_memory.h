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
// Gives the whole pages inside [p, p + bytes) back to the system, for memory read once and not
// needed again: anonymous memory then reads as zeros, a file's mapping as the file.
void release_pages(const void* p, std::size_t bytes) noexcept;
// Advice on the pages that hold any of [p, p + bytes) of a file's mapping: read at random (no
// read-ahead), or needed soon (read now, in the background).
enum class PageAdvice { kRandom, kWillNeed };
void advise_pages(const void* p, std::size_t bytes, PageAdvice advice) noexcept;

}  // namespace dsgd::detail
