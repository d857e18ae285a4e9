# cmake -P script behind the consumer_* tests: installs the build into a
# fresh prefix, builds a consumer project against that prefix the way a user
# would (find_package or pkg-config), checks that the consumer binary
# resolves the installed library, and runs it.
#
# Inputs (-D): LY_MODE (find_package|pkgconfig), LY_BUILD_DIR, LY_LIBDIR,
# LY_BINDIR, LY_SOURCE_DIR, LY_WORK_DIR, LY_GENERATOR, LY_MAKE_PROGRAM,
# LY_C_COMPILER, and for pkgconfig LY_PKG_CONFIG, LY_MAKE. Cross builds add
# LY_TOOLCHAIN_FILE (the consumer's find_package build uses it) and
# LY_EMULATOR (the command that runs a target program, "|" between words),
# and LY_WINDOWS when the target is Windows: there the consumer gets the
# installed DLL copied beside it, as a Windows program finds it, and a
# second consumer links the MSVC import library (lightyear_conn.lib, made
# from the .def) with the same C compiler, so that every function it calls
# is checked to be in the .def.
cmake_minimum_required(VERSION 3.20)

function(ly_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}")
  endif()
endfunction()

set(prefix "${LY_WORK_DIR}/prefix")
set(build "${LY_WORK_DIR}/build")
set(libdir "${prefix}/${LY_LIBDIR}")
file(REMOVE_RECURSE "${LY_WORK_DIR}")

ly_run("${CMAKE_COMMAND}" --install "${LY_BUILD_DIR}" --prefix "${prefix}")

# The cgo header must not ship, only ours.
file(GLOB_RECURSE headers "${prefix}/*.h")
list(LENGTH headers num_headers)
get_filename_component(header_name "${headers}" NAME)
if(NOT num_headers EQUAL 1 OR NOT header_name STREQUAL "lightyear_conn.h")
  message(FATAL_ERROR "expected only lightyear_conn.h to be installed, got: ${headers}")
endif()

set(toolchain)
if(LY_TOOLCHAIN_FILE)
  set(toolchain "-DCMAKE_TOOLCHAIN_FILE=${LY_TOOLCHAIN_FILE}")
endif()
if(LY_MODE STREQUAL "find_package")
  ly_run("${CMAKE_COMMAND}" -S "${LY_SOURCE_DIR}" -B "${build}" -G "${LY_GENERATOR}"
         "-DCMAKE_MAKE_PROGRAM=${LY_MAKE_PROGRAM}"
         "-DCMAKE_C_COMPILER=${LY_C_COMPILER}"
         "-DCMAKE_PREFIX_PATH=${prefix}"
         ${toolchain}
         # A toolchain file confines find_package to its sysroot.
         -DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=BOTH
         # Only the fresh prefix may satisfy find_package.
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
         -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
  ly_run("${CMAKE_COMMAND}" --build "${build}")
elseif(LY_MODE STREQUAL "pkgconfig")
  file(MAKE_DIRECTORY "${build}")
  ly_run("${CMAKE_COMMAND}" -E env
         "PKG_CONFIG_PATH=${libdir}/pkgconfig"
         "PKG_CONFIG=${LY_PKG_CONFIG}"
         "${LY_MAKE}" -C "${build}" -f "${LY_SOURCE_DIR}/Makefile"
         "SRCDIR=${LY_SOURCE_DIR}" "CC=${LY_C_COMPILER}")
else()
  message(FATAL_ERROR "LY_MODE must be find_package or pkgconfig, not '${LY_MODE}'")
endif()

set(consumer "${build}/consumer")
string(REPLACE "|" ";" emulator "${LY_EMULATOR}")

if(LY_WINDOWS)
  set(consumer "${consumer}.exe")
  file(COPY "${prefix}/${LY_BINDIR}/lightyear_conn.dll" DESTINATION "${build}")
  get_filename_component(_ly_src "${LY_SOURCE_DIR}/../consumer.c" ABSOLUTE)
  set(consumer_msvc "${build}/consumer_msvc_lib.exe")
  ly_run("${LY_C_COMPILER}" -std=c99 -Wall -Wextra -Werror "-I${prefix}/include" "${_ly_src}"
         "${libdir}/lightyear_conn.lib" -o "${consumer_msvc}")
  # The binaries import lightyear_conn.dll and nothing of mingw's.
  string(REGEX REPLACE "gcc(\\.exe)?$" "objdump" _ly_objdump "${LY_C_COMPILER}")
  foreach(exe "${consumer}" "${consumer_msvc}")
    execute_process(COMMAND "${_ly_objdump}" -p "${exe}" OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
    string(REGEX MATCHALL "DLL Name: [^\n]+" dlls "${dump}")
    if(NOT rc EQUAL 0 OR NOT dlls MATCHES "DLL Name: lightyear_conn.dll" OR dlls MATCHES "libwinpthread|libgcc")
      message(FATAL_ERROR "${exe} imports: ${dlls}")
    endif()
    message(STATUS "${exe}: ${dlls}")
  endforeach()
  ly_run(${emulator} "${consumer}")
  ly_run(${emulator} "${consumer_msvc}")
  return()
endif()

# Consumers find the library through their RPATH, as README.md says:
# CMake's build RPATH, or the -Wl,-rpath of the pkg-config Makefile. So
# LD_LIBRARY_PATH is cleared.
set(run_env --unset=LD_LIBRARY_PATH)

# The binary must load the installed library, not the build tree's copy.
# ldd cannot read a foreign binary: under an emulator, the target's own
# dynamic loader lists what it loads (LD_TRACE_LOADED_OBJECTS=1, what ldd
# sets) and exits without running the program. That fits qemu-user, a
# static program the variable does not touch; an emulator that is itself
# dynamically linked (wine) would need another check.
find_program(LDD ldd)
set(list_libs)
if(emulator)
  set(list_libs LD_TRACE_LOADED_OBJECTS=1 ${emulator} "${consumer}")
elseif(LDD)
  set(list_libs "${LDD}" "${consumer}")
endif()
if(list_libs)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E env ${run_env} ${list_libs}
                  OUTPUT_VARIABLE ldd_out RESULT_VARIABLE rc)
  string(REGEX MATCH "liblightyear_conn\\.so\\.[0-9]+ => [^ ]+" resolved "${ldd_out}")
  string(FIND "${resolved}" " => ${libdir}/" at)
  if(NOT rc EQUAL 0 OR at EQUAL -1)
    message(FATAL_ERROR "consumer does not resolve the installed library:\n${ldd_out}")
  endif()
  message(STATUS "${resolved}")
endif()

ly_run("${CMAKE_COMMAND}" -E env ${run_env} ${emulator} "${consumer}")
