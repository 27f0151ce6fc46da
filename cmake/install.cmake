# find_package(shiftnn) + target shiftnn::shiftnn for other projects.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS shiftnn EXPORT shiftnnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY engine/include/shiftnn DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET shiftnn_cli)
  install(TARGETS shiftnn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT shiftnnTargets NAMESPACE shiftnn::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shiftnn)
configure_package_config_file(cmake/shiftnnConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/shiftnnConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shiftnn)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/shiftnnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/shiftnnConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/shiftnnConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/shiftnn)
