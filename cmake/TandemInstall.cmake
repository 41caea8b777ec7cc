# cmake --install: the static libraries, the public headers, a relocatable CMake
# package (TandemConfig.cmake, a version file, the exported targets) and tandem.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(tandem_install_targets tandem_core tandem_cpu tandem_cuda tandem_dispatch tandem_analyzer tandem)
foreach(target core cpu cuda dispatch analyzer)
  set_target_properties(tandem_${target} PROPERTIES EXPORT_NAME ${target})
endforeach()
set_target_properties(tandem PROPERTIES EXPORT_NAME tandem)

install(TARGETS ${tandem_install_targets} EXPORT TandemTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
foreach(dir core cpu cuda dispatch analyzer)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/dispatch/generated/tandem/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tandem)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/Tandem)
install(EXPORT TandemTargets NAMESPACE Tandem:: DESTINATION ${config_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/templates/TandemConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/TandemConfig.cmake
                              INSTALL_DESTINATION ${config_dir})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/TandemConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/TandemConfig.cmake ${PROJECT_BINARY_DIR}/TandemConfigVersion.cmake
        DESTINATION ${config_dir})

# pkg-config: the libraries the static archives need after them.
set(TANDEM_PC_LIBS "${TANDEM_CPUINFO_LIBRARY} ${OpenMP_CXX_FLAGS} -pthread")
if(TANDEM_HAVE_CUDA)
  string(APPEND TANDEM_PC_LIBS
         " -L${CUDAToolkit_LIBRARY_DIR} -lcublas -lcudart_static -ldl -lrt")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/templates/tandem.pc.in ${PROJECT_BINARY_DIR}/tandem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tandem.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The `tandem` command and what it runs beside it: the plot script (found relative to
# the executable, bin/../share/tandem) and the report's JSON Schema.
if(TARGET tandem_cli)
  install(TARGETS tandem_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/analyzer/plots/plot_report.py
                ${PROJECT_SOURCE_DIR}/analyzer/schema/report.schema.json
          DESTINATION ${CMAKE_INSTALL_DATADIR}/tandem)
endif()
