# The CMake package that cmake --install writes: dsgdConfig.cmake finds what the static library
# links (fmt, Highway, zlib, xxHash, nlohmann-json, threads, and MPI when dsgd::cluster is the MPI
# backend) and defines dsgd::dsgd, dsgd::cluster and dsgd::dsgd_options.
include(CMakePackageConfigHelpers)
set(dsgd_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/dsgd)
install(EXPORT dsgdTargets NAMESPACE dsgd:: DESTINATION ${dsgd_cmake_dir})
configure_package_config_file(cmake/dsgdConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/dsgdConfig.cmake
                              INSTALL_DESTINATION ${dsgd_cmake_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dsgdConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dsgdConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/dsgdConfigVersion.cmake
        DESTINATION ${dsgd_cmake_dir})
install(FILES LICENSE README.md CHANGELOG.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
