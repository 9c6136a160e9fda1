#pragma once
// A std::vector whose large buffers sit on 2 MiB boundaries with transparent huge pages asked
// for (aligned_allocate): for the d-vectors that a sparse pass reads and writes at random
// (weights, gradient, touched bits), where 4 KiB pages would cost a TLB miss on nearly every
// access once d is in the millions. resize() leaves new elements default-initialised (not
// zeroed, for buffers about to be overwritten); give a value to have them set.
#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#include "dsgd/base/aligned_memory.h"

namespace dsgd {

template <typename T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() noexcept = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding
  [[nodiscard]] T* allocate(std::size_t n) { return static_cast<T*>(detail::aligned_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { std::free(p); }
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

template <typename T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace dsgd
