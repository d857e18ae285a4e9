# Builds liblightyear_conn with `go build -buildmode=c-shared` and exposes
# it as lightyear_conn::lightyear_conn. CMake cannot compile Go, so the
# library is the output of a custom command, wrapped in an IMPORTED target.
# A toolchain file (cmake/toolchains/) cross-builds it: GOOS and GOARCH
# follow CMAKE_SYSTEM_NAME and CMAKE_SYSTEM_PROCESSOR, cgo uses the
# toolchain's C compiler.
#
# Defines:
#   GO_EXECUTABLE              the go tool
#   LY_GOOS, LY_GOARCH         what the library is built for
#   LY_LIBRARY_FILE            the library: <bin>/liblightyear_conn.so.<version>,
#                              or <bin>/lightyear_conn.dll on Windows
#   LY_LIBRARY_SONAME          liblightyear_conn.so.<major> (not on Windows)
#   LY_LIBRARY_LINK            <bin>/liblightyear_conn.so, the dev symlink (not on Windows)
#   LY_IMPORT_LIBRARY          Windows: <bin>/liblightyear_conn.dll.a (MinGW import library)
#   LY_MSVC_IMPORT_LIBRARY     Windows: <bin>/lightyear_conn.lib (from lightyear_conn.def)
#   LY_DEF_FILE                Windows: <bin>/lightyear_conn.def (the header's LY_API functions)
#   lightyear_conn_go          custom target that runs the Go build
#   lightyear_conn_shared      the IMPORTED shared library
#   lightyear_conn::lightyear_conn  what C/C++ targets link

find_program(GO_EXECUTABLE go)
if(NOT GO_EXECUTABLE)
  message(FATAL_ERROR "The Go toolchain (go) is required to build liblightyear_conn: https://go.dev/dl "
                      "(or pass -DGO_EXECUTABLE=/path/to/go)")
endif()

# GOOS and GOARCH of the target: the host's unless cross-compiling.
string(TOLOWER "${CMAKE_SYSTEM_NAME}" _ly_system)
string(TOLOWER "${CMAKE_SYSTEM_PROCESSOR}" _ly_cpu)
if(_ly_system STREQUAL "windows")
  set(LY_GOOS windows)
elseif(_ly_system STREQUAL "darwin")
  set(LY_GOOS darwin)
elseif(_ly_system STREQUAL "android")
  set(LY_GOOS android)
else()
  set(LY_GOOS linux)
endif()
if(_ly_cpu MATCHES "^(x86_64|amd64)$")
  set(LY_GOARCH amd64)
elseif(_ly_cpu MATCHES "^(aarch64|arm64)$")
  set(LY_GOARCH arm64)
elseif(_ly_cpu MATCHES "^arm")
  set(LY_GOARCH arm)
elseif(_ly_cpu MATCHES "^(i.86|x86)$")
  set(LY_GOARCH 386)
else()
  message(FATAL_ERROR "no Go architecture for CMAKE_SYSTEM_PROCESSOR ${CMAKE_SYSTEM_PROCESSOR}")
endif()
set(_ly_go_env CGO_ENABLED=1 GOOS=${LY_GOOS} GOARCH=${LY_GOARCH} "CC=${CMAKE_C_COMPILER}")

if(WIN32)
  set(LY_LIBRARY_FILE "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.dll")
  set(LY_IMPORT_LIBRARY "${CMAKE_CURRENT_BINARY_DIR}/liblightyear_conn.dll.a")
  set(LY_MSVC_IMPORT_LIBRARY "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.lib")
  set(LY_DEF_FILE "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.def")
  set(_ly_outputs "${LY_LIBRARY_FILE}" "${LY_IMPORT_LIBRARY}" "${LY_MSVC_IMPORT_LIBRARY}" "${LY_DEF_FILE}")
  # Quoted for go's flag parser: a build path may hold spaces.
  set(_ly_ldflags "-s -w '-extldflags=-Wl,--out-implib,${LY_IMPORT_LIBRARY}'")
  # dlltool makes the MSVC import library from a .def of the header's
  # functions, in the import-library format MSVC's link.exe reads (only
  # MinGW's linker has read it here).
  get_filename_component(_ly_bin_dir "${CMAKE_C_COMPILER}" DIRECTORY)
  string(REGEX REPLACE "gcc(\\.exe)?$" "dlltool" _ly_dlltool_name "${CMAKE_C_COMPILER}")
  find_program(LY_DLLTOOL NAMES "${_ly_dlltool_name}" x86_64-w64-mingw32-dlltool dlltool HINTS "${_ly_bin_dir}")
  if(NOT LY_DLLTOOL)
    message(FATAL_ERROR "dlltool not found (Debian: binutils-mingw-w64-x86-64)")
  endif()
  set(_ly_after_build
    COMMAND "${CMAKE_COMMAND}" -DHEADER=${CMAKE_CURRENT_SOURCE_DIR}/include/lightyear_conn.h
            -DOUT=${LY_DEF_FILE} -P "${CMAKE_CURRENT_SOURCE_DIR}/cmake/WriteDefFile.cmake"
    COMMAND "${LY_DLLTOOL}" -d "${LY_DEF_FILE}" -D lightyear_conn.dll -l "${LY_MSVC_IMPORT_LIBRARY}")
  set(_ly_cgo_header "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.h")
else()
  set(LY_LIBRARY_SONAME "liblightyear_conn.so.${PROJECT_VERSION_MAJOR}")
  set(LY_LIBRARY_FILE "${CMAKE_CURRENT_BINARY_DIR}/liblightyear_conn.so.${PROJECT_VERSION}")
  set(LY_LIBRARY_LINK "${CMAKE_CURRENT_BINARY_DIR}/liblightyear_conn.so")
  set(_ly_soname_link "${CMAKE_CURRENT_BINARY_DIR}/${LY_LIBRARY_SONAME}")
  set(_ly_outputs "${LY_LIBRARY_FILE}" "${_ly_soname_link}" "${LY_LIBRARY_LINK}")
  set(_ly_ldflags "-s -w -extldflags=-Wl,-soname,${LY_LIBRARY_SONAME}")
  set(_ly_after_build
    COMMAND "${CMAKE_COMMAND}" -E create_symlink "liblightyear_conn.so.${PROJECT_VERSION}" "${_ly_soname_link}"
    COMMAND "${CMAKE_COMMAND}" -E create_symlink "${LY_LIBRARY_SONAME}" "${LY_LIBRARY_LINK}")
  # go build writes a cgo header next to the library, named after the output
  # with its last extension replaced (liblightyear_conn.so.0.1.h).
  get_filename_component(_ly_cgo_header "${LY_LIBRARY_FILE}" NAME_WLE)
  set(_ly_cgo_header "${CMAKE_CURRENT_BINARY_DIR}/${_ly_cgo_header}.h")
endif()
# The cgo header is not our header and must never be used: it is deleted
# right after the build.

# Rebuild when a Go source, a cgo C file of capi/ or steamworks/, the module files or the
# header change. Tests are left out: they never change the library.
# CONFIGURE_DEPENDS re-globs on every build, so new files are noticed.
file(GLOB_RECURSE _ly_go_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.go")
list(FILTER _ly_go_sources EXCLUDE REGEX "_test\\.go$")
file(GLOB _ly_cgo_sources CONFIGURE_DEPENDS
     "${CMAKE_CURRENT_SOURCE_DIR}/capi/*.c" "${CMAKE_CURRENT_SOURCE_DIR}/capi/*.h"
     "${CMAKE_CURRENT_SOURCE_DIR}/steamworks/*.c" "${CMAKE_CURRENT_SOURCE_DIR}/steamworks/*.h")

add_custom_command(
  OUTPUT ${_ly_outputs}
  COMMAND "${CMAKE_COMMAND}" -E env ${_ly_go_env}
          "${GO_EXECUTABLE}" build -buildmode=c-shared -trimpath -buildvcs=false
          -ldflags "${_ly_ldflags}"
          -o "${LY_LIBRARY_FILE}" ./capi
  COMMAND "${CMAKE_COMMAND}" -E rm -f "${_ly_cgo_header}"
  ${_ly_after_build}
  DEPENDS ${_ly_go_sources} ${_ly_cgo_sources}
          "${CMAKE_CURRENT_SOURCE_DIR}/go.mod"
          "${CMAKE_CURRENT_SOURCE_DIR}/go.sum"
          "${CMAKE_CURRENT_SOURCE_DIR}/include/lightyear_conn.h"
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
  COMMENT "Building liblightyear_conn (${LY_GOOS}/${LY_GOARCH}) with go build -buildmode=c-shared"
  VERBATIM)

add_custom_target(lightyear_conn_go ALL DEPENDS ${_ly_outputs})

add_library(lightyear_conn_shared SHARED IMPORTED GLOBAL)
set_target_properties(lightyear_conn_shared PROPERTIES
  IMPORTED_LOCATION "${LY_LIBRARY_FILE}"
  INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_SOURCE_DIR}/include")
if(WIN32)
  set_target_properties(lightyear_conn_shared PROPERTIES IMPORTED_IMPLIB "${LY_IMPORT_LIBRARY}")
else()
  set_target_properties(lightyear_conn_shared PROPERTIES IMPORTED_SONAME "${LY_LIBRARY_SONAME}")
endif()
# Order the Go build before anything that links the library. Dependencies
# of IMPORTED and INTERFACE targets are followed transitively by their
# consumers; the INTERFACE target below repeats it for older CMake.
add_dependencies(lightyear_conn_shared lightyear_conn_go)

# The name consumers use, the same inside this build and after
# find_package(lightyear_conn).
add_library(lightyear_conn INTERFACE)
target_link_libraries(lightyear_conn INTERFACE lightyear_conn_shared)
add_dependencies(lightyear_conn lightyear_conn_go)
add_library(lightyear_conn::lightyear_conn ALIAS lightyear_conn)

# ly_dll_next_to(<target>...): Windows looks for a program's DLLs in the
# program's own directory first, so on Windows this copies lightyear_conn.dll
# into the directory of the calling CMakeLists.txt's binaries (once per
# directory) and orders the targets after the copy. Elsewhere the build RPATH
# does that job and this does nothing.
function(ly_dll_next_to)
  if(NOT WIN32)
    return()
  endif()
  file(RELATIVE_PATH _rel "${PROJECT_BINARY_DIR}" "${CMAKE_CURRENT_BINARY_DIR}")
  string(MAKE_C_IDENTIFIER "lightyear_conn_dll_${_rel}" _copy)
  if(NOT TARGET ${_copy})
    set(_dll "${CMAKE_CURRENT_BINARY_DIR}/lightyear_conn.dll")
    add_custom_command(OUTPUT "${_dll}"
      COMMAND "${CMAKE_COMMAND}" -E copy "${LY_LIBRARY_FILE}" "${_dll}"
      DEPENDS "${LY_LIBRARY_FILE}" lightyear_conn_go
      COMMENT "Copying lightyear_conn.dll next to the programs in ${_rel}"
      VERBATIM)
    add_custom_target(${_copy} DEPENDS "${_dll}")
  endif()
  foreach(_target IN LISTS ARGN)
    add_dependencies(${_target} ${_copy})
  endforeach()
endfunction()
