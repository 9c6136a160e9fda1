# Two INTERFACE targets that every dsgd target links: the language level and optimisation
# (dsgd_options) and the warnings (dsgd_warnings). No directory-wide flags.
add_library(dsgd_options INTERFACE)
target_compile_features(dsgd_options INTERFACE cxx_std_20)
# -O3 in Release: the kernels rely on the vectoriser for the non-Highway loops.
# (Build-only: a program built against the installed package keeps its own flags.)
target_compile_options(dsgd_options INTERFACE $<BUILD_INTERFACE:$<$<CONFIG:Release>:-O3>>)
if(DSGD_SANITIZE)
  target_compile_options(dsgd_options INTERFACE $<BUILD_INTERFACE:-fsanitize=${DSGD_SANITIZE}>
                                               $<BUILD_INTERFACE:-fno-omit-frame-pointer>)
  target_link_options(dsgd_options INTERFACE $<BUILD_INTERFACE:-fsanitize=${DSGD_SANITIZE}>)
  # The sanitizers look for memory and thread errors, not instruction-set ones: Highway's code is
  # compiled for AVX-512, AVX2 and its portable EMU128 only (the release tests run every set),
  # which takes a third off the sanitizer builds' longest compiles.
  target_compile_definitions(dsgd_options INTERFACE $<BUILD_INTERFACE:HWY_DISABLED_TARGETS=HWY_SSE4|HWY_SSSE3>)
endif()

add_library(dsgd_warnings INTERFACE)
target_compile_options(dsgd_warnings INTERFACE
  -Wall -Wextra -Wno-missing-field-initializers -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Woverloaded-virtual -Wnull-dereference -Wdouble-promotion)
