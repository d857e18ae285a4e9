# Builds liblightyear_conn.so with `go build -buildmode=c-shared` and exposes
# it as lightyear_conn::lightyear_conn. CMake cannot compile Go, so the .so
# is the output of a custom command, wrapped in an IMPORTED target.
#
# Defines:
#   GO_EXECUTABLE              the go tool
#   LY_LIBRARY_FILE            <bin>/liblightyear_conn.so.<major>.<minor>.<patch>
#   LY_LIBRARY_SONAME          liblightyear_conn.so.<major>
#   LY_LIBRARY_LINK            <bin>/liblightyear_conn.so (the dev symlink)
#   lightyear_conn_go          custom target that runs the Go build
#   lightyear_conn_shared      the IMPORTED shared library
#   lightyear_conn::lightyear_conn  what C/C++ targets link

find_program(GO_EXECUTABLE go)
if(NOT GO_EXECUTABLE)
  message(FATAL_ERROR "The Go toolchain (go) is required to build liblightyear_conn: https://go.dev/dl "
                      "(or pass -DGO_EXECUTABLE=/path/to/go)")
endif()

set(LY_LIBRARY_SONAME "liblightyear_conn.so.${PROJECT_VERSION_MAJOR}")
set(LY_LIBRARY_FILE "${CMAKE_CURRENT_BINARY_DIR}/liblightyear_conn.so.${PROJECT_VERSION}")
set(LY_LIBRARY_LINK "${CMAKE_CURRENT_BINARY_DIR}/liblightyear_conn.so")
set(_ly_soname_link "${CMAKE_CURRENT_BINARY_DIR}/${LY_LIBRARY_SONAME}")

# go build writes a cgo header next to the library, named after the output
# with its last extension replaced (liblightyear_conn.so.0.1.h). It is not
# our header and must never be used: delete it right after the build.
get_filename_component(_ly_cgo_header "${LY_LIBRARY_FILE}" NAME_WLE)
set(_ly_cgo_header "${CMAKE_CURRENT_BINARY_DIR}/${_ly_cgo_header}.h")

# Rebuild when a Go source, a cgo C file of capi/, the module files or the
# header change. Tests are left out: they never change the library.
# CONFIGURE_DEPENDS re-globs on every build, so new files are noticed.
file(GLOB_RECURSE _ly_go_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.go")
list(FILTER _ly_go_sources EXCLUDE REGEX "_test\\.go$")
file(GLOB _ly_cgo_sources CONFIGURE_DEPENDS
     "${CMAKE_CURRENT_SOURCE_DIR}/capi/*.c" "${CMAKE_CURRENT_SOURCE_DIR}/capi/*.h")

add_custom_command(
  OUTPUT "${LY_LIBRARY_FILE}" "${_ly_soname_link}" "${LY_LIBRARY_LINK}"
  COMMAND "${CMAKE_COMMAND}" -E env CGO_ENABLED=1 "CC=${CMAKE_C_COMPILER}"
          "${GO_EXECUTABLE}" build -buildmode=c-shared -trimpath -buildvcs=false
          -ldflags "-s -w -extldflags=-Wl,-soname,${LY_LIBRARY_SONAME}"
          -o "${LY_LIBRARY_FILE}" ./capi
  COMMAND "${CMAKE_COMMAND}" -E rm -f "${_ly_cgo_header}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "liblightyear_conn.so.${PROJECT_VERSION}" "${_ly_soname_link}"
  COMMAND "${CMAKE_COMMAND}" -E create_symlink "${LY_LIBRARY_SONAME}" "${LY_LIBRARY_LINK}"
  DEPENDS ${_ly_go_sources} ${_ly_cgo_sources}
          "${CMAKE_CURRENT_SOURCE_DIR}/go.mod"
          "${CMAKE_CURRENT_SOURCE_DIR}/go.sum"
          "${CMAKE_CURRENT_SOURCE_DIR}/include/lightyear_conn.h"
  WORKING_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}"
  COMMENT "Building ${LY_LIBRARY_SONAME} with go build -buildmode=c-shared"
  VERBATIM)

add_custom_target(lightyear_conn_go ALL
  DEPENDS "${LY_LIBRARY_FILE}" "${_ly_soname_link}" "${LY_LIBRARY_LINK}")

add_library(lightyear_conn_shared SHARED IMPORTED GLOBAL)
set_target_properties(lightyear_conn_shared PROPERTIES
  IMPORTED_LOCATION "${LY_LIBRARY_FILE}"
  IMPORTED_SONAME "${LY_LIBRARY_SONAME}"
  INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_SOURCE_DIR}/include")
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
