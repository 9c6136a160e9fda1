#include "dsgd/base/aligned_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "dsgd/base/error.h"

namespace dsgd::detail {

void FreeDeleter::operator()(void* p) const noexcept { std::free(p); }

void* aligned_allocate(std::size_t bytes) {
  constexpr std::size_t kAlign = 64;
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  const std::size_t rounded = (bytes + kAlign - 1) / kAlign * kAlign;
  // Large arrays on 2 MiB boundaries so transparent huge pages can back them: a streaming pass
  // over hundreds of MB then takes few TLB misses.
  const std::size_t align = rounded >= kHugePage ? kHugePage : kAlign;
  const std::size_t size = (rounded + align - 1) / align * align;
  // One spare vector at the end: a vector tail load that reads past the last element (allowed
  // by some instruction sets for masked-out lanes) stays inside the allocation.
  void* p = std::aligned_alloc(align, size + align);
  if (p == nullptr) throw Error("out of memory allocating " + std::to_string(bytes) + " bytes");
  if (size >= kHugePage) (void)madvise(p, size, MADV_HUGEPAGE);  // a hint; failure is harmless
  return p;
}

void advise_pages(const void* p, std::size_t bytes, PageAdvice advice) noexcept {
  if (p == nullptr || bytes == 0) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(p);
  // A release keeps the pages that hold bytes outside the range; advice covers them.
  const std::uintptr_t round_up = advice == PageAdvice::kRelease ? page - 1 : 0;
  const std::uintptr_t first = (begin + round_up) / page * page;
  const std::uintptr_t last = (begin + bytes + page - 1 - round_up) / page * page;
  if (first >= last) return;
  const int how = advice == PageAdvice::kRelease ? MADV_DONTNEED
                  : advice == PageAdvice::kRandom ? MADV_RANDOM
                                                   : MADV_WILLNEED;
  (void)::madvise(reinterpret_cast<void*>(first), last - first, how);
}

}  // namespace dsgd::detail
