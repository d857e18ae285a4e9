# Tests of the build products themselves (the C tests live in tests/c):
#   header_c99, header_cxx17   the public header compiles strictly as C99 and C++17
#   consumer_find_package      install, then find_package(lightyear_conn) from a fresh project
#                              (on Windows also a consumer linked with the MSVC import library)
#   consumer_pkgconfig         install, then build with `pkg-config --cflags --libs` (not Windows)
#   library_elf                ELF platforms: the library's machine, SONAME and exports
#   dll_exports                Windows: the DLL exports every LY_API function by name

# The header checks run the compiler at test time, so they need no build
# step and a broken header fails the test with the compiler's message.
set(_ly_strict -pedantic -Wall -Wextra -Werror -fsyntax-only
    -I "${PROJECT_SOURCE_DIR}/include")
add_test(NAME header_c99
  COMMAND "${CMAKE_C_COMPILER}" -std=c99 ${_ly_strict} -Wstrict-prototypes
          "${PROJECT_SOURCE_DIR}/cmake/header_check.c")
add_test(NAME header_cxx17
  COMMAND "${CMAKE_CXX_COMPILER}" -std=c++17 ${_ly_strict}
          "${PROJECT_SOURCE_DIR}/cmake/header_check.cpp")

# Each consumer test installs into its own prefix under the build tree, so
# the two can run in parallel and never see the build tree's library.
# Cross-compiling, the consumer is configured with the same toolchain file
# (as a user cross-compiling would) and run under the emulator; the list
# travels with "|" for ";" through the command line.
set(_ly_consumer_args
  -DLY_BUILD_DIR=${PROJECT_BINARY_DIR}
  -DLY_LIBDIR=${CMAKE_INSTALL_LIBDIR}
  -DLY_BINDIR=${CMAKE_INSTALL_BINDIR}
  -DLY_GENERATOR=${CMAKE_GENERATOR}
  -DLY_MAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
  -DLY_C_COMPILER=${CMAKE_C_COMPILER}
  -DLY_WINDOWS=${WIN32})
if(CMAKE_TOOLCHAIN_FILE)
  get_filename_component(_ly_toolchain "${CMAKE_TOOLCHAIN_FILE}" ABSOLUTE BASE_DIR "${PROJECT_BINARY_DIR}")
  if(NOT EXISTS "${_ly_toolchain}")
    get_filename_component(_ly_toolchain "${CMAKE_TOOLCHAIN_FILE}" ABSOLUTE BASE_DIR "${PROJECT_SOURCE_DIR}")
  endif()
  list(APPEND _ly_consumer_args -DLY_TOOLCHAIN_FILE=${_ly_toolchain})
endif()
if(CMAKE_CROSSCOMPILING AND CMAKE_CROSSCOMPILING_EMULATOR)
  string(REPLACE ";" "|" _ly_emulator "${CMAKE_CROSSCOMPILING_EMULATOR}")
  list(APPEND _ly_consumer_args "-DLY_EMULATOR=${_ly_emulator}")
endif()

add_test(NAME consumer_find_package
  COMMAND "${CMAKE_COMMAND}" ${_ly_consumer_args}
          -DLY_MODE=find_package
          -DLY_SOURCE_DIR=${PROJECT_SOURCE_DIR}/tests/consumer/find_package
          -DLY_WORK_DIR=${PROJECT_BINARY_DIR}/consumer/find_package
          -P "${PROJECT_SOURCE_DIR}/cmake/RunConsumerTest.cmake")

find_program(LY_PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
find_program(LY_MAKE_EXECUTABLE NAMES make gmake)
if(WIN32)
  # No pkg-config file is installed for Windows (LightyearInstall.cmake).
elseif(LY_PKG_CONFIG_EXECUTABLE AND LY_MAKE_EXECUTABLE)
  add_test(NAME consumer_pkgconfig
    COMMAND "${CMAKE_COMMAND}" ${_ly_consumer_args}
            -DLY_MODE=pkgconfig
            -DLY_PKG_CONFIG=${LY_PKG_CONFIG_EXECUTABLE}
            -DLY_MAKE=${LY_MAKE_EXECUTABLE}
            -DLY_SOURCE_DIR=${PROJECT_SOURCE_DIR}/tests/consumer/pkgconfig
            -DLY_WORK_DIR=${PROJECT_BINARY_DIR}/consumer/pkgconfig
            -P "${PROJECT_SOURCE_DIR}/cmake/RunConsumerTest.cmake")
else()
  message(STATUS "pkg-config or make not found: test consumer_pkgconfig is not registered")
endif()

# Windows: the DLL exports every LY_API function of the header by name.
if(WIN32)
  string(REGEX REPLACE "gcc(\\.exe)?$" "objdump" _ly_objdump "${CMAKE_C_COMPILER}")
  add_test(NAME dll_exports
    COMMAND "${CMAKE_COMMAND}" "-DDLL=${LY_LIBRARY_FILE}" "-DDEF=${LY_DEF_FILE}" "-DOBJDUMP=${_ly_objdump}"
            -P "${PROJECT_SOURCE_DIR}/cmake/CheckDllExports.cmake")
  set_tests_properties(dll_exports PROPERTIES TIMEOUT 30 LABELS "build")
endif()

set_tests_properties(header_c99 header_cxx17 PROPERTIES TIMEOUT 30 LABELS "build")
set_tests_properties(consumer_find_package PROPERTIES TIMEOUT 90 LABELS "build;install")
if(TEST consumer_pkgconfig)
  set_tests_properties(consumer_pkgconfig PROPERTIES TIMEOUT 90 LABELS "build;install")
endif()

# The built library as the target's loader and linker see it (ELF only):
# the machine, the SONAME, every LY_API function exported. Read with the
# toolchain's readelf, so a cross build checks its own library.
set(_ly_machine_amd64 "Advanced Micro Devices X86-64")
set(_ly_machine_arm64 "AArch64")
if(NOT WIN32 AND CMAKE_READELF AND DEFINED _ly_machine_${LY_GOARCH})
  add_test(NAME library_elf
    COMMAND "${CMAKE_COMMAND}"
            "-DREADELF=${CMAKE_READELF}"
            "-DLIBRARY=${LY_LIBRARY_FILE}"
            "-DHEADER=${PROJECT_SOURCE_DIR}/include/lightyear_conn.h"
            "-DSONAME=${LY_LIBRARY_SONAME}"
            "-DMACHINE=${_ly_machine_${LY_GOARCH}}"
            -P "${PROJECT_SOURCE_DIR}/cmake/CheckElfLibrary.cmake")
  set_tests_properties(library_elf PROPERTIES TIMEOUT 30 LABELS "build")
endif()
