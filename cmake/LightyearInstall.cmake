# Install rules: the library with its symlinks, the public header, a CMake
# package (find_package(lightyear_conn)) and a pkg-config file. Both package
# files locate the prefix relative to themselves, so an install tree can be
# moved or installed with `cmake --install --prefix <elsewhere>`.
include(CMakePackageConfigHelpers)

set(LY_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/lightyear_conn")
set(LY_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig")

if(WIN32)
  # The DLL beside programs (bin/), the import libraries and the .def in lib/.
  install(PROGRAMS "${LY_LIBRARY_FILE}" DESTINATION "${CMAKE_INSTALL_BINDIR}")
  install(FILES "${LY_IMPORT_LIBRARY}" "${LY_MSVC_IMPORT_LIBRARY}" "${LY_DEF_FILE}"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}")
else()
  # The real file as a program (mode 755, like a linked shared library); the
  # two symlinks are copied as symlinks.
  install(PROGRAMS "${LY_LIBRARY_FILE}" DESTINATION "${CMAKE_INSTALL_LIBDIR}")
  install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${LY_LIBRARY_SONAME}" "${LY_LIBRARY_LINK}"
          DESTINATION "${CMAKE_INSTALL_LIBDIR}")
endif()
# Only the hand-written header; the cgo-generated one is deleted at build.
install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/include/lightyear_conn.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

# CMake package. The config file is written by hand (the library is not a
# CMake-built target, so install(EXPORT) cannot describe it).
configure_package_config_file(
  "${CMAKE_CURRENT_SOURCE_DIR}/cmake/lightyear_connConfig.cmake.in"
  "${CMAKE_CURRENT_BINARY_DIR}/lightyear_connConfig.cmake"
  INSTALL_DESTINATION "${LY_INSTALL_CMAKEDIR}"
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  "${CMAKE_CURRENT_BINARY_DIR}/lightyear_connConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/lightyear_connConfig.cmake"
              "${CMAKE_CURRENT_BINARY_DIR}/lightyear_connConfigVersion.cmake"
        DESTINATION "${LY_INSTALL_CMAKEDIR}")

if(WIN32)
  return() # no pkg-config on Windows
endif()

# pkg-config file. ${pcfiledir} (understood by pkg-config and pkgconf)
# makes it relocatable: prefix is found from where the .pc file lies.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(LY_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(LY_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH _ly_pc_up "/prefix/${LY_INSTALL_PKGCONFIGDIR}" "/prefix")
  string(REGEX REPLACE "/$" "" _ly_pc_up "${_ly_pc_up}")
  set(LY_PC_PREFIX "\${pcfiledir}/${_ly_pc_up}")
  set(LY_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LY_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(LY_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_SOURCE_DIR}/cmake/lightyear_conn.pc.in"
               "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.pc" @ONLY)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.pc"
        DESTINATION "${LY_INSTALL_PKGCONFIGDIR}")
